// At start, a root daemon refuses to run from files (or keep state under directories) that a user other than root can change.
import { existsSync, lstatSync, readFileSync, readdirSync, realpathSync, type Stats } from 'node:fs';
import { join, sep } from 'node:path';
import { BulkheadError } from '../errors/index.js';
import { untrustedReason } from './trust-rule.js';

/** What the daemon runs or hands to qubes, below the checkout (walked whole; a few hundred files). */
const CODE_TREES = ['dist', 'bin', 'native/build', 'policy', 'qube-tools', 'qubes-rpc', 'gateway-profiles', 'package.json'];

class Checker {
  private readonly seenDirs = new Set<string>();

  constructor(private readonly what: string) {}

  private fail(path: string, reason: string): never {
    throw new BulkheadError('ERR_UNSAFE_PATH', `refusing ${this.what} ${path} as root: ${reason}`);
  }

  /** Every directory from / down to (not including) `p`, as given and as resolved. */
  ancestors(p: string): void {
    for (const chain of [p, realpathOrSelf(p)]) {
      const parts = chain.split(sep).filter(Boolean);
      for (let i = 0; i < parts.length; i++) {
        const d = sep + parts.slice(0, i).join(sep);
        if (this.seenDirs.has(d)) continue;
        this.seenDirs.add(d);
        const st = lstatSync(d, { throwIfNoEntry: false });
        if (!st) continue;
        const why = untrustedReason(st, true);
        if (why) this.fail(d, why);
      }
    }
  }

  /** Checks `p` itself (not where a symlink leads); its lstat, or undefined when it does not exist. */
  private one(p: string): Stats | undefined {
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (!st) return undefined;
    const why = untrustedReason(st, false);
    if (why) this.fail(p, why);
    return st;
  }

  /** `p` alone (a symlink: also where it leads, and the directories above that). */
  entry(p: string): void {
    if (!this.one(p)?.isSymbolicLink()) return;
    const target = realpathOrSelf(p);
    this.ancestors(target);
    this.one(target);
  }

  /** `p` and, for a directory, everything below it; a symlink's target is checked where it leads. */
  tree(p: string, depth = 0): void {
    const st = this.one(p);
    if (!st) return;
    if (st.isSymbolicLink()) {
      const target = realpathOrSelf(p);
      if (target !== p && depth < 8) {
        this.ancestors(target);
        this.tree(target, depth + 1);
      }
      return;
    }
    if (st.isDirectory()) for (const n of readdirSync(p)) this.tree(join(p, n), depth);
  }
}

function realpathOrSelf(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** Packages the daemon can load: the checkout's dependencies and theirs (a hoisted node_modules). */
export function runtimePackages(repo: string): string[] {
  const nm = join(repo, 'node_modules');
  const deps = (dir: string): string[] => {
    try {
      const pj = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
      return [...Object.keys(pj.dependencies ?? {}), ...Object.keys(pj.optionalDependencies ?? {})];
    } catch {
      return [];
    }
  };
  const seen = new Set<string>();
  const queue = deps(repo);
  while (queue.length) {
    const name = queue.shift()!;
    if (seen.has(name) || !existsSync(join(nm, name))) continue;
    seen.add(name);
    queue.push(...deps(join(nm, name)));
  }
  return [...seen].sort().map((n) => join(nm, n));
}

/**
 * Throws ERR_UNSAFE_PATH (one line naming the file) when the node binary, the checkout's code,
 * native helpers, shipped policy, the packages the daemon loads, or the directories above them or
 * above the state directory are owned by another user or writable by group or others.
 */
export function checkDaemonFiles(opts: { repo: string; stateHome: string; execPath?: string; nativeDir?: string }): void {
  const code = new Checker('to run from');
  const node = realpathOrSelf(opts.execPath ?? process.execPath);
  code.ancestors(node);
  code.tree(node);
  code.ancestors(join(opts.repo, 'package.json'));
  for (const t of CODE_TREES) code.tree(join(opts.repo, t));
  if (opts.nativeDir !== undefined) {
    code.ancestors(opts.nativeDir);
    code.tree(opts.nativeDir); // BULKHEAD_NATIVE_DIR, when the helpers come from elsewhere
  }
  const nm = join(opts.repo, 'node_modules');
  if (existsSync(nm)) {
    code.entry(nm); // the directory (and where a symlink leads); below it only what the daemon loads
    for (const pkg of runtimePackages(opts.repo)) code.tree(pkg);
  }
  const state = new Checker('to keep its state under');
  state.ancestors(opts.stateHome);
  if (existsSync(opts.stateHome)) {
    const st = lstatSync(opts.stateHome);
    const why = st.isSymbolicLink() ? 'a symlink' : untrustedReason(st, false);
    if (why) throw new BulkheadError('ERR_UNSAFE_PATH', `refusing to keep state in ${opts.stateHome} as root: ${why}`);
  }
}
