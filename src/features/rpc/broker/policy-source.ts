// The live RPC policy: loaded from $BULKHEAD_HOME/policy.d only, reloaded on change; a bad file keeps the last good policy, a missing or unreadable directory denies every call.
import { cpSync, existsSync, mkdirSync, readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { PolicyLoad, PolicyProblem } from '../../../policy/index.js';
import { describeErrors, loadPolicyDirs } from '../../../policy-files/index.js';
import type { StateStore } from '../../../state/index.js';
import { policyDirOf } from '../../../daemon/paths.js';
import type { PolicyStatus } from '../../../contract/rpc.js';
export type { PolicyStatus };

export const SHIPPED_POLICY_DIR = fileURLToPath(new URL('../../../../policy/default', import.meta.url));
/** Internal global: policy.d was made once; from then on it is never made again, so a removed one stays removed. */
const SEEDED_KEY = 'policy_d_seeded';

export function policyDir(home: string): string {
  return policyDirOf(home);
}

/** The directories the daemon reads: its state directory's policy.d, never anything else. */
export function policyDirs(home: string): string[] {
  return [policyDir(home)];
}

/**
 * On the first start of a state directory, policy.d is made as a copy of the shipped policy (the
 * admin edits it from there). Later starts never make it again: a policy.d that was removed means
 * "deny every call", not "use the defaults".
 */
export function seedPolicyDir(home: string, store: StateStore, log: Logger): void {
  if (store.globals()[SEEDED_KEY] === true) return;
  const dir = policyDir(home);
  if (!existsSync(dir)) {
    mkdirSync(dir, { mode: 0o755 });
    for (const f of readdirSync(SHIPPED_POLICY_DIR).filter((n) => n.endsWith('.policy'))) cpSync(join(SHIPPED_POLICY_DIR, f), join(dir, f));
    log.info({ dir, from: SHIPPED_POLICY_DIR }, 'rpc policy.d made from the shipped policy');
  }
  store.setGlobal('rpc', SEEDED_KEY, true);
}

/** Why `dir` cannot be the policy (missing, not a directory, unreadable, writable by others), or null. */
export function policyDirProblem(dir: string): string | null {
  let st;
  try {
    st = statSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'the policy directory is missing' : `the policy directory cannot be read: ${(e as Error).message}`;
  }
  if (!st.isDirectory()) return 'the policy directory is not a directory';
  // The daemon is root and could read it anyway: a directory its owner may not read was locked on purpose.
  if ((st.mode & 0o500) !== 0o500) return `the policy directory is unreadable (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')})`;
  if (st.mode & 0o002) return 'the policy directory is writable by every user';
  const me = process.getuid?.() ?? 0;
  if (st.uid !== 0 && st.uid !== me) return `the policy directory belongs to uid ${st.uid}, not to root`;
  try {
    readdirSync(dir);
  } catch (e) {
    return `the policy directory cannot be read: ${(e as Error).message}`;
  }
  return null;
}

export class PolicySource {
  private current: PolicyLoad = { ok: false, errors: [{ file: '<none>', line: 0, message: 'policy not loaded yet' }] };
  private latestErrors: PolicyProblem[] = [];
  private keptLastGood = false;
  private watchers: FSWatcher[] = [];
  private dirs: string[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly home: string,
    private readonly log: Logger,
  ) {}

  /** The policy to decide with now; a failed load without a last good one denies every call. */
  get(): PolicyLoad {
    return this.current;
  }

  /** Why every call is denied now, in words for the audit log; null while a policy decides. */
  denial(): string | null {
    return this.current.ok ? null : `policy: ${describeErrors(this.current).slice(0, 3).join('; ')} (every call is denied)`;
  }

  status(): PolicyStatus {
    if (!this.current.ok) return { state: 'denying', rules: 0, errors: this.current.errors };
    return { state: this.keptLastGood ? 'last-good' : 'loaded', rules: this.current.policy.rules.length, errors: this.latestErrors };
  }

  reload(): PolicyLoad {
    this.dirs = policyDirs(this.home);
    const dir = this.dirs[0]!;
    const problem = policyDirProblem(dir);
    if (problem) {
      // Never the shipped policy, never the last good one: the admin took the policy away.
      this.current = { ok: false, errors: [{ file: dir, line: 0, message: problem }] };
      this.latestErrors = this.current.errors;
      this.keptLastGood = false;
      this.log.error({ dir, problem }, 'rpc policy directory unusable: every call is denied');
      return this.current;
    }
    let load: PolicyLoad;
    try {
      load = loadPolicyDirs(this.dirs);
    } catch (e) {
      load = { ok: false, errors: [{ file: dir, line: 0, message: (e as Error).message }] };
    }
    if (load.ok) {
      this.current = load;
      this.latestErrors = [];
      this.keptLastGood = false;
      this.log.info({ dirs: this.dirs, rules: load.policy.rules.length }, 'rpc policy loaded');
    } else if (this.current.ok) {
      // A bad edit never replaces a good policy: the last good one keeps deciding until the files are fixed.
      this.latestErrors = load.errors;
      this.keptLastGood = true;
      this.log.error({ dirs: this.dirs, errors: describeErrors(load) }, 'rpc policy failed to load: the last good policy stays in force');
    } else {
      this.current = load;
      this.latestErrors = load.errors;
      this.log.error({ dirs: this.dirs, errors: describeErrors(load) }, 'rpc policy failed to load: every call is denied');
    }
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
        const w = watch(d, { persistent: false }, (_event, file) => {
          if (d !== this.home || file === 'policy.d') this.soon();
        });
        w.on('error', () => undefined);
        this.watchers.push(w);
      } catch (e) {
        if (d === this.home || existsSync(d)) this.log.warn({ dir: d, err: e }, 'cannot watch policy directory');
      }
    }
  }

  private soon(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.reload();
      // policy.d may have been removed and made again: a watch on the old inode sees nothing more.
      this.rewatch();
    }, 50);
  }

  stop(): void {
    clearTimeout(this.timer);
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }
}
