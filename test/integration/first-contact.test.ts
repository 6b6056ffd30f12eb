// A first `bulkhead daemon start` that cannot succeed ends in one clear line, a non-zero exit and nothing left behind.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { CLI, ROOT, testDaemon } from './helpers/daemon.js';
import { NATIVE_HELPERS } from '../../src/daemon/start-check.js';

const RUN = process.env.BULKHEAD_TEST_RUN ?? 'bht';
const scratch = mkdtempSync(`/var/tmp/${RUN}-first-`);
chmodSync(scratch, 0o755); // the non-root case walks through it
after(() => {
  // A daemon that stayed behind (the code under test failing) is ended by its pid before its state goes.
  for (const pid of processesUnder(scratch)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  rmSync(scratch, { recursive: true, force: true });
});

interface Start {
  code: number;
  stdout: string;
  stderr: string;
  lines: string[];
}

function start(home: string, env: NodeJS.ProcessEnv = {}, asUid?: number): Start {
  const argv = asUid === undefined ? [CLI, 'daemon', 'start'] : ['setpriv', `--reuid=${asUid}`, `--regid=${asUid}`, '--clear-groups', CLI, 'daemon', 'start'];
  const r = spawnSync(argv[0]!, argv.slice(1), { env: { ...process.env, BULKHEAD_HOME: home, ...env }, timeout: 60_000 });
  const stderr = r.stderr.toString();
  return { code: r.status ?? -1, stdout: r.stdout.toString(), stderr, lines: stderr.split('\n').filter((l) => l.length > 0) };
}

/** Like start(), with the event loop free (for a listener in this process). */
function startAsync(home: string): Promise<Start> {
  return new Promise((resolve) => {
    const c = spawn(CLI, ['daemon', 'start'], { env: { ...process.env, BULKHEAD_HOME: home } });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
    });
    c.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    c.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, lines: stderr.split('\n').filter((l) => l.length > 0) }));
  });
}

/** Exactly one line on stderr, that line, exit 1, no stack trace of any kind. */
function assertOneLine(r: Start, line: string): void {
  assert.equal(r.code, 1, `exit code ${r.code}\n${r.stderr}`);
  assert.deepEqual(r.lines, [line], `stderr:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at |sonic boom|node:internal|Error:/);
  assert.equal(r.stdout, '');
}

/** Processes whose environment's BULKHEAD_HOME matches (a daemon that stayed behind). */
function processesWhere(match: (home: string) => boolean): number[] {
  const pids: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${p}/environ`, 'latin1')
        .split('\0')
        .find((e) => e.startsWith('BULKHEAD_HOME='));
      if (env && match(env.slice('BULKHEAD_HOME='.length))) pids.push(Number(p));
    } catch {
      /* gone */
    }
  }
  return pids;
}
const processesOn = (home: string) => processesWhere((h) => h === home);
const processesUnder = (dir: string) => processesWhere((h) => h.startsWith(`${dir}/`));

/** Nothing of a failed start remains: no process, no pid file, no admin socket, no captured stderr. */
function assertNothingLeft(home: string, socketIsOurs = false): void {
  assert.deepEqual(processesOn(home), []);
  assert.equal(existsSync(join(home, 'admin', 'bulkheadd.pid')), false, 'pid file left behind');
  assert.equal(existsSync(join(home, 'admin', 'bulkheadd.stderr')), false, 'stderr file left behind');
  if (!socketIsOurs) assert.equal(existsSync(join(home, 'admin', 'admin.sock')), false, 'admin socket left behind');
}

function home(name: string): string {
  const h = join(scratch, name);
  mkdirSync(h);
  return h;
}

test('a missing native helper: one line naming it, and the state directory stays empty', () => {
  const native = join(scratch, 'native');
  mkdirSync(native);
  for (const n of NATIVE_HELPERS.filter((x) => x !== 'bh-agent')) symlinkSync(join(ROOT, 'native', 'build', n), join(native, n));
  const h = home('no-agent');
  const r = start(h, { BULKHEAD_NATIVE_DIR: native });
  assertOneLine(r, `bulkhead: bulkheadd: native helper bh-agent missing in ${native} (run make -C native)`);
  assertNothingLeft(h);
  assert.deepEqual(readdirSync(h), [], 'a start that cannot succeed creates nothing');
});

test('a broken native addon: one line naming it, no loader stack', () => {
  const native = join(scratch, 'native-broken');
  mkdirSync(native);
  for (const n of NATIVE_HELPERS.filter((x) => x !== 'peercred.node')) symlinkSync(join(ROOT, 'native', 'build', n), join(native, n));
  writeFileSync(join(native, 'peercred.node'), 'not a shared object\n');
  const h = home('broken-addon');
  const r = start(h, { BULKHEAD_NATIVE_DIR: native });
  assert.equal(r.code, 1);
  assert.equal(r.lines.length, 1, r.stderr);
  assert.match(r.lines[0]!, new RegExp(`^bulkhead: bulkheadd: native helper ${native}/peercred\\.node is missing or broken \\(run make -C native\\): `));
  assert.doesNotMatch(r.stderr, /Require stack|\n\s+at /);
  assertNothingLeft(h);
  assert.deepEqual(readdirSync(h), []);
});

test('a state directory that does not exist yet is removed again when the start fails', () => {
  const native = join(scratch, 'native-empty');
  mkdirSync(native);
  const h = join(scratch, 'fresh', 'home');
  const r = start(h, { BULKHEAD_NATIVE_DIR: native });
  assert.equal(r.code, 1);
  assert.match(r.lines.at(-1)!, /^bulkhead: bulkheadd: native helpers idmap-mount, .* missing in /);
  assert.equal(r.lines.length, 1);
  assert.equal(existsSync(join(scratch, 'fresh')), false);
});

test('not root: one line saying it must run as root, from the CLI and from bulkheadd itself', () => {
  const h = join(scratch, 'nobody');
  const r = start(h, {}, 65534);
  assertOneLine(r, 'bulkhead: daemon start must run as root (uid 0, not 65534): bulkheadd creates namespaces, mounts, cgroups and nftables rules');
  assert.equal(existsSync(h), false);
  const d = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, join(ROOT, 'dist', 'daemon', 'main.js')], {
    env: { ...process.env, BULKHEAD_HOME: h },
    timeout: 30_000,
  });
  assertOneLine(
    { code: d.status ?? -1, stdout: d.stdout.toString(), stderr: d.stderr.toString(), lines: d.stderr.toString().split('\n').filter(Boolean) },
    'bulkheadd: must run as root (uid 0, not 65534): bulkheadd creates namespaces, mounts, cgroups and nftables rules',
  );
  assert.equal(existsSync(h), false);
});

test('a state directory that cannot be written: one line naming the path and why', () => {
  writeFileSync(join(scratch, 'a-file'), '');
  const h = join(scratch, 'a-file', 'home');
  assertOneLine(start(h), `bulkhead: state directory ${h} is not usable: mkdir ${h}/admin: a path component is not a directory`);
  // bulkheadd's own files: the log path is a directory, found after it claimed the state directory.
  const h2 = home('log-is-dir');
  mkdirSync(join(h2, 'bulkheadd.log'));
  const r = start(h2);
  assertOneLine(r, `bulkhead: bulkheadd: state directory ${h2} is not usable: open ${h2}/bulkheadd.log: is a directory`);
  assertNothingLeft(h2);
});

test('a corrupt state database: one line naming it, after the logger started; the file is untouched', () => {
  const h = home('corrupt');
  writeFileSync(join(h, 'state.db'), 'this is not a database, but it is longer than one header of sqlite\n'.repeat(2));
  const before = readFileSync(join(h, 'state.db'));
  const r = start(h);
  assertOneLine(r, `bulkhead: bulkheadd: state database ${h}/state.db cannot be opened: file is not a database`);
  assertNothingLeft(h);
  assert.deepEqual(readFileSync(join(h, 'state.db')), before);
});

test('an admin socket something else answers on is never taken over', async () => {
  const h = home('socket');
  mkdirSync(join(h, 'admin'), { mode: 0o700 });
  const sock = join(h, 'admin', 'admin.sock');
  let accepted = 0;
  const server: Server = createServer((c) => {
    accepted++;
    c.destroy();
  });
  await new Promise<void>((r) => server.listen(sock, r));
  try {
    const r = await startAsync(h);
    assertOneLine(r, `bulkhead: bulkheadd: admin socket ${sock} is in use by another process; stop it before starting bulkheadd`);
    assertNothingLeft(h, true);
    const before = accepted;
    await new Promise<void>((resolve, reject) => {
      const c = connect(sock);
      c.once('close', () => resolve());
      c.once('error', reject);
    });
    assert.ok(accepted > before, 'the listener still owns the socket');
  } finally {
    server.close();
  }
});

test('a second start on a running state directory: one line with the running pid; the first keeps running', async () => {
  const d = testDaemon('first-twice');
  try {
    d.start();
    const pid = d.daemonPid();
    assert.ok(pid);
    assertOneLine(start(d.home), `bulkhead: another bulkheadd (pid ${pid}) already runs on this state directory`);
    assert.equal(d.daemonPid(), pid);
    assert.match(d.ok(['daemon', 'status']), new RegExp(`pid=${pid} `));
  } finally {
    await d.destroy();
  }
  assert.deepEqual(processesOn(d.home), []);
});

test('a state directory too long for the admin socket: one line, not a daemon nobody can reach', () => {
  const h = join(scratch, 'y'.repeat(100));
  assertOneLine(
    start(h),
    `bulkhead: bulkheadd: state directory ${h} is too long: its admin socket path must be at most 107 bytes (set BULKHEAD_HOME to a shorter path)`,
  );
  assert.equal(existsSync(h), false);
});
