// Services the admin side itself answers when policy sends a call to dom0: the clock and a read-only slice of the Admin API.
import { QUBES_CLASS_NAME } from '../../../model/index.js';
import type { StateStore } from '../../../state/index.js';

export interface AdminReply {
  stdout: Buffer;
  stderr?: string;
  code: number;
}

/** Qubes' Admin API reply framing: "0\0" then the payload on success. */
const ok = (text: string): AdminReply => ({ stdout: Buffer.concat([Buffer.from('0\0'), Buffer.from(text, 'utf8')]), code: 0 });

const STATE: Record<string, string> = { running: 'Running', paused: 'Paused', halted: 'Halted' };

/**
 * Runs `service` (with `argument`, '+' for none) on the admin side for `source`, whose call
 * policy already allowed. Unknown services answer 127 like a missing service in a qube.
 */
export function adminService(store: StateStore, source: string, service: string, argument: string): AdminReply {
  void source;
  switch (service) {
    case 'qubes.GetDate':
      return { stdout: Buffer.from(`${new Date().toISOString().replace(/\.\d{3}Z$/, '+00:00')}\n`), code: 0 };
    case 'admin.vm.List': {
      const power = store.allPower();
      const lines = store
        .listQubes()
        .map(
          (q) => `${q.name} class=${QUBES_CLASS_NAME[q.klass]} state=${q.klass === 'admin' ? 'Running' : (STATE[power.get(q.name) ?? 'halted'] ?? 'Halted')}\n`,
        );
      return ok(lines.join(''));
    }
    default:
      return { stdout: Buffer.alloc(0), stderr: `the admin side provides no service ${service}${argument === '+' ? '' : argument}\n`, code: 127 };
  }
}
