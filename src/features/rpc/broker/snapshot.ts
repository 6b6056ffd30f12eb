// The system as the policy evaluator sees it, built from the state store at the moment of a call.
import { effective } from '../../../model/index.js';
import type { SystemQube, SystemSnapshot } from '../../../policy/index.js';
import type { StateStore } from '../../../state/index.js';

const truthy = (v: string | undefined) => v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';

export function policySnapshot(store: StateStore): SystemSnapshot {
  const sys = store.system();
  const power = store.allPower();
  const qubes: Record<string, SystemQube> = {};
  for (const q of sys.qubes.values()) {
    const dd = effective(q, 'default_dispvm', sys);
    const state = power.get(q.name);
    qubes[q.name] = {
      class: q.klass,
      tags: q.tags,
      running: q.klass === 'admin' || state === 'running' || state === 'paused',
      default_dispvm: typeof dd === 'string' && dd ? dd : null,
      template_for_dispvms: q.klass === 'app' && effective(q, 'template_for_dispvms', sys) === true,
      internal: truthy(q.features.internal),
      uuid: q.uuid,
    };
  }
  return { qubes };
}
