// The live RPC policy: loaded from $BULKHEAD_HOME/policy.d (or the shipped policy/default), reloaded on change, failing closed.
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { PolicyLoad } from '../../policy/index.js';
import { describeErrors, loadPolicyDirs } from '../../policy-files/index.js';

export const SHIPPED_POLICY_DIR = fileURLToPath(new URL('../../../policy/default', import.meta.url));

/** Which directory the daemon reads: the state directory's policy.d when it exists, else the shipped one. */
export function policyDirs(home: string): string[] {
  const local = join(home, 'policy.d');
  return [existsSync(local) ? local : SHIPPED_POLICY_DIR];
}

export class PolicySource {
  private current: PolicyLoad = { ok: false, errors: [{ file: '<none>', line: 0, message: 'policy not loaded yet' }] };
  private watchers: FSWatcher[] = [];
  private dirs: string[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly home: string, private readonly log: Logger) {}

  /** The policy to decide with now; a failed load denies every call. */
  get(): PolicyLoad {
    return this.current;
  }

  reload(): PolicyLoad {
    this.dirs = policyDirs(this.home);
    let load: PolicyLoad;
    try {
      load = loadPolicyDirs(this.dirs);
    } catch (e) {
      load = { ok: false, errors: [{ file: this.dirs.join(','), line: 0, message: (e as Error).message }] };
    }
    this.current = load;
    if (load.ok) this.log.info({ dirs: this.dirs, rules: load.policy.rules.length }, 'rpc policy loaded');
    else this.log.error({ dirs: this.dirs, errors: describeErrors(load) }, 'rpc policy failed to load: every call is denied');
    return load;
  }

  /** Loads now and again whenever the policy directory (or the state directory, for policy.d appearing) changes. */
  start(): void {
    this.reload();
    this.rewatch();
  }

  private rewatch(): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
    for (const d of [...this.dirs, this.home]) {
      try {
        // In the state directory only policy.d matters: the daemon's own log and database change there all the time.
        const w = watch(d, { persistent: false }, (_event, file) => { if (d !== this.home || file === 'policy.d') this.soon(); });
        w.on('error', () => undefined);
        this.watchers.push(w);
      } catch (e) {
        this.log.warn({ dir: d, err: e }, 'cannot watch policy directory');
      }
    }
  }

  private soon(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const before = this.dirs.join('\0');
      this.reload();
      if (this.dirs.join('\0') !== before) this.rewatch();
    }, 50);
  }

  stop(): void {
    clearTimeout(this.timer);
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }
}
