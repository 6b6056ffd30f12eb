// Test harness: a private state directory, a daemon on it, the CLI against it, and full cleanup.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(new URL('../../..', import.meta.url).pathname);
export const CLI = join(ROOT, 'bin', 'bulkhead');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TestDaemon {
  home: string;
  env: NodeJS.ProcessEnv;
  cli(args: string[], input?: string | Buffer, timeoutMs?: number): CliResult;
  /** Like cli() but throws with the output on a non-zero exit. */
  ok(args: string[], input?: string | Buffer, timeoutMs?: number): string;
  start(): void;
  stop(): void;
  daemonPid(): number | null;
  /** Stop every qube, the daemon, and remove the state directory. */
  destroy(): Promise<void>;
}

function result(r: SpawnSyncReturns<Buffer>): CliResult {
  return { code: r.status ?? -1, stdout: r.stdout?.toString() ?? '', stderr: r.stderr?.toString() ?? '' };
}

/** `opts.home`: an empty directory the test made (e.g. on a file system of its own) instead of a fresh one in /var/tmp. */
export function testDaemon(tag: string, opts: { home?: string } = {}): TestDaemon {
  const home = opts.home ?? mkdtempSync(`/var/tmp/${process.env.BULKHEAD_TEST_RUN ?? 'bht'}-${tag}-`);
  const env = { ...process.env, BULKHEAD_HOME: home };
  const cli = (args: string[], input?: string | Buffer, timeoutMs = 120_000) =>
    result(spawnSync(CLI, args, { env, input, timeout: timeoutMs, maxBuffer: 1 << 28 }));
  const d: TestDaemon = {
    home,
    env,
    cli,
    ok(args, input, timeoutMs) {
      const r = cli(args, input, timeoutMs);
      if (r.code !== 0) throw new Error(`bulkhead ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
      return r.stdout;
    },
    start() {
      d.ok(['daemon', 'start']);
    },
    stop() {
      cli(['daemon', 'stop']);
    },
    daemonPid() {
      try {
        return Number(readFileSync(join(home, 'admin', 'bulkheadd.pid'), 'utf8').split(' ')[0]);
      } catch {
        return null;
      }
    },
    async destroy() {
      if (existsSync(join(home, 'admin', 'admin.sock'))) {
        const ls = cli(['ls', '--json']);
        if (ls.code === 0) {
          const qubes = JSON.parse(ls.stdout) as { name: string; state: string }[];
          for (const q of qubes.filter((x) => x.state !== 'halted')) cli(['kill', q.name]);
          // Remove disposables so their leftovers are checked by the tests that care.
        }
      }
      d.stop();
      const pid = d.daemonPid();
      if (pid) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      // Any crun container of this home's prefix that survived: kill by its own id.
      await killLeftovers(home);
      removeTree(home);
    },
  };
  return d;
}

/**
 * Removes a state directory that nothing runs from any more. Deleting a few hundred MB of template
 * roots that were written to disk waits on the disk for seconds (tens on a busy one, with online
 * discard), not on the CPU: the tree is renamed out of the way at once and deleted by a detached
 * `rm` that goes on while the next test runs. Never across a mount (--one-file-system).
 */
export function removeTree(dir: string): void {
  const doomed = `${dir}.removing`;
  try {
    renameSync(dir, doomed);
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  spawn('rm', ['-rf', '--one-file-system', '--', doomed], { detached: true, stdio: 'ignore' }).unref();
}

/** Kill and delete crun containers whose ids carry this home's prefix (read from its state db). */
export async function killLeftovers(home: string): Promise<void> {
  const dbFile = join(home, 'state.db');
  if (!existsSync(dbFile)) return;
  const { default: Database } = await import('better-sqlite3');
  let prefix: string | null = null;
  try {
    const db = new Database(dbFile, { readonly: true });
    const r = db.prepare("SELECT value FROM globals WHERE key = 'prefix'").get() as { value: string } | undefined;
    db.close();
    prefix = r ? (JSON.parse(r.value) as string) : null;
  } catch {
    return;
  }
  if (!prefix) return;
  const { createNsRuntime } = await import('../../../src/runtime/ns/index.js');
  const rt = createNsRuntime();
  for (const inst of await rt.list(`${prefix}-`)) {
    const name = inst.id.slice(prefix.length + 1);
    await rt
      .kill({ id: inst.id, name, runDir: join(home, 'run', 'qubes', name), rootRwDir: join(home, 'qubes', name, 'root'), volatileRoot: true } as never)
      .catch(() => undefined);
  }
  unmountBelow(home);
  // Network namespaces of qubes killed here never saw the daemon's post-stop hook.
  const named = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((l) => l.split(' ')[0] ?? '');
  for (const ns of named) if (ns.startsWith(`${prefix}-`)) spawnSync('ip', ['netns', 'delete', ns], { timeout: 10_000 });
}

/**
 * Unmounts whatever is still mounted below `home` (a qube's volume images and their shared bind,
 * tmpfs volumes), innermost first: a qube started behind the test's back (autostart during a
 * teardown) or a failed test must not leave a mount or a loop device (autoclear) behind.
 */
function unmountBelow(home: string): void {
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((mp) => mp.startsWith(`${home}/`))
    .sort((a, b) => b.length - a.length);
  for (const mp of new Set(points)) spawnSync('umount', ['-l', mp]);
}
