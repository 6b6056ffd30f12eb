// Acceptance: the systemd unit of bulkheadd — verified by systemd-analyze, installed and removed with
// --unit-dir, and its exact ExecStart and ExecStop command lines run here (no systemd as PID 1).
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { crunList, netnsWith } from './core-fixture.js';
import { CLI, ROOT } from './helpers/daemon.js';
import { labDaemon, type NetDaemon } from './net-fixture.js';
import { unitText } from '../../src/service/unit.js';

const RUN = process.env.BULKHEAD_TEST_RUN ?? 'bht';
/** systemd's PATH for system services: what ExecStart and ExecStop see, nothing of the test's own environment. */
const SYSTEMD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A unit file's key: every `Key=value` line of it, in order. */
function unitValues(text: string, key: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1));
}

function verify(file: string) {
  return spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8', timeout: 60_000 });
}

function install(home: string, args: string[]) {
  return spawnSync(CLI, ['daemon', ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, BULKHEAD_HOME: home } });
}

describe('daemon install and uninstall', () => {
  const dir = mkdtempSync(`/tmp/${RUN}-units-`);
  const home = `/var/tmp/${RUN}-svc-state`;
  const file = join(dir, 'bulkheadd.service');
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the unit for this checkout and state directory; systemd-analyze verify passes on it', () => {
    const r = install(home, ['install', '--unit-dir', dir]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^wrote ${file} \\(state ${home}\\)$`, 'm'));
    assert.match(
      r.stdout,
      /systemd is not PID 1 on this machine: nothing was enabled\. On a machine run by systemd: systemctl daemon-reload && systemctl enable --now bulkheadd\.service/,
    );
    const text = readFileSync(file, 'utf8');
    assert.equal(text, unitText({ node: '/usr/bin/node', repo: ROOT, home }));
    assert.deepEqual(unitValues(text, 'ExecStart'), [`/usr/bin/node --title=bulkheadd ${ROOT}/dist/daemon/main.js`]);
    assert.deepEqual(unitValues(text, 'WantedBy'), ['multi-user.target']);
    const v = verify(file);
    assert.equal(v.status, 0, v.stderr);
    assert.equal(v.stderr.trim(), '', 'no warning from systemd-analyze');
  });

  it('systemd-analyze verify does fail on a broken unit (the check above can fail)', () => {
    const bad = join(dir, 'broken.service');
    writeFileSync(bad, readFileSync(file, 'utf8').replace(/^ExecStart=\/usr\/bin\/node/m, 'ExecStart=/usr/bin/no-such-node'));
    const v = verify(bad);
    assert.notEqual(v.status, 0);
    assert.match(v.stderr, /no-such-node/);
    rmSync(bad);
  });

  it('a second install of the same unit changes nothing; a differing one is refused in one line unless --force', () => {
    const again = install(home, ['install', '--unit-dir', dir]);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /is already installed and unchanged/);
    writeFileSync(file, readFileSync(file, 'utf8').replace('RestartSec=5', 'RestartSec=1'));
    const other = install('/var/tmp/elsewhere', ['install', '--unit-dir', dir]);
    assert.equal(other.status, 1);
    assert.equal(other.stderr, `bulkhead: ${file} exists and differs from the unit this bulkhead writes; replace it with --force\n`);
    assert.match(readFileSync(file, 'utf8'), /RestartSec=1/, 'the existing unit is left as it was');
    const forced = install(home, ['install', '--unit-dir', dir, '--force']);
    assert.equal(forced.status, 0, forced.stderr);
    assert.match(forced.stdout, /^replaced /m);
    assert.equal(readFileSync(file, 'utf8'), unitText({ node: '/usr/bin/node', repo: ROOT, home }));
  });

  it('a missing unit directory is one clear error', () => {
    const r = install(home, ['install', '--unit-dir', join(dir, 'nope')]);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `bulkhead: unit directory ${join(dir, 'nope')} does not exist\n`);
  });

  it('shutdown --all and daemon stop --timeout: bad use is one clear line', () => {
    const cli = (args: string[]) => spawnSync(CLI, args, { encoding: 'utf8', timeout: 60_000, env: { ...process.env, BULKHEAD_HOME: home } });
    assert.equal(cli(['shutdown', '--all', 'work']).stderr, 'bulkhead: shutdown --all takes no qube names (got work)\n');
    assert.equal(cli(['shutdown']).stderr, 'bulkhead: shutdown: name the qubes, or --all\n');
    assert.equal(
      cli(['daemon', 'stop', '--shutdown-qubes', '--timeout', '1.5']).stderr,
      "bulkhead: --timeout: '1.5' is not a whole number of seconds from 1 to 3600\n",
    );
  });

  it('uninstall removes the unit; a unit bulkhead did not write stays unless --force', () => {
    const r = install(home, ['uninstall', '--unit-dir', dir]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `removed ${file}\n`);
    assert.equal(existsSync(file), false);
    assert.match(install(home, ['uninstall', '--unit-dir', dir]).stdout, /nothing to remove/);
    writeFileSync(file, '[Service]\nExecStart=/bin/true\n');
    const foreign = install(home, ['uninstall', '--unit-dir', dir]);
    assert.equal(foreign.status, 1);
    assert.match(foreign.stderr, /was not written by bulkhead daemon install; remove it with --force/);
    assert.equal(existsSync(file), true);
    assert.equal(install(home, ['uninstall', '--unit-dir', dir, '--force']).status, 0);
    assert.equal(existsSync(file), false);
  });
});

describe("the unit's ExecStart and ExecStop, run as systemd would", { timeout: 1_500_000 }, () => {
  let d: NetDaemon;
  let unitDir: string;
  let unit: string;
  let daemonProc: ChildProcess | null = null;
  let daemonExit: Promise<number | null>;
  const audit = async () =>
    (await d.api<{ entries: { seq: number; event: string; qube: string | null; detail: string }[] }>('GET', '/audit?limit=100000')).body.entries;
  /** The unit's environment only, as systemd gives it (plus systemd's PATH). */
  const unitEnv = () => {
    const env: NodeJS.ProcessEnv = { PATH: SYSTEMD_PATH };
    for (const e of unitValues(unit, 'Environment')) env[e.slice(0, e.indexOf('='))] = e.slice(e.indexOf('=') + 1);
    return env;
  };
  const argv = (key: string) => {
    const v = unitValues(unit, key);
    assert.equal(v.length, 1, `one ${key}`);
    return (v[0] as string).split(' ');
  };
  async function waitAutostart(names: string[], since: number, ms: number) {
    for (let t = 0; t < ms; t += 500) {
      const rows = (await audit()).filter((e) => e.seq > since && e.event === 'qube-autostart');
      if (names.every((n) => rows.some((r) => r.qube === n))) return rows;
      await sleep(500);
    }
    throw new Error(`autostart of ${names.join(', ')} not done within ${ms} ms`);
  }

  before(async () => {
    d = await labDaemon<NetDaemon>('svc', ['--no-tor'], ['--uplink', 'lab']);
    unitDir = mkdtempSync(`/tmp/${RUN}-unit-`);
    const r = install(d.home, ['install', '--unit-dir', unitDir]);
    assert.equal(r.status, 0, r.stderr);
    unit = readFileSync(join(unitDir, 'bulkheadd.service'), 'utf8');
    d.ok(['create', 'work', '--template', 'debian-12', '--label', 'blue', '--prop', 'autostart=true']);
    d.ok(['create', 'plain', '--template', 'debian-12', '--label', 'green']);
  });

  after(async () => {
    if (daemonProc?.pid && alive(daemonProc.pid)) daemonProc.kill('SIGKILL');
    if (d) {
      // The lab is taken down through a daemon: one started as the tests do (autostart done first, so nothing starts under the teardown).
      if (!d.daemonPid()) {
        const seq =
          (await d.api<{ entries: { seq: number }[] }>('GET', '/audit?limit=100000').catch(() => ({ body: { entries: [] } }))).body.entries.at(-1)?.seq ?? 0;
        d.start();
        await waitAutostart(['sys-net', 'sys-firewall', 'work'], seq, 120_000).catch(() => undefined);
      }
      await d.teardown();
    }
    if (unitDir) rmSync(unitDir, { recursive: true, force: true });
  });

  it('init sets autostart on sys-net and sys-firewall only', () => {
    assert.equal(d.ok(['prefs', 'sys-net', 'autostart']).trim(), 'true');
    assert.equal(d.ok(['prefs', 'sys-firewall', 'autostart']).trim(), 'true');
    assert.equal(d.ok(['prefs', 'default-dvm', 'autostart']).trim(), 'false');
    assert.equal(d.ok(['prefs', 'plain', 'autostart']).trim(), 'false');
  });

  it('ExecStart runs the daemon in the foreground and starts the autostart qubes in chain order', async () => {
    d.ok(['daemon', 'stop']);
    assert.equal(d.daemonPid(), null);
    const since = (await d.api<{ entries: { seq: number }[] }>('GET', '/audit?limit=100000').catch(() => null))?.body.entries.at(-1)?.seq ?? 0;
    const [cmd, ...args] = argv('ExecStart');
    const errFile = join(unitDir, 'stderr');
    daemonProc = spawn(cmd as string, args, { env: unitEnv(), cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    daemonProc.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
    });
    daemonProc.stderr?.on('data', (b: Buffer) => {
      err += b.toString();
    });
    daemonExit = new Promise((r) =>
      daemonProc?.on('exit', (code) => {
        writeFileSync(errFile, err);
        r(code);
      }),
    );
    for (let i = 0; i < 300 && !/bulkheadd ready/.test(out); i++) await sleep(50);
    assert.match(out, /^bulkheadd ready pid=\d+ socket=/, err);
    assert.equal(d.daemonPid(), daemonProc.pid, 'the ExecStart process itself is the daemon (foreground, Type=exec)');
    const rows = await waitAutostart(['sys-net', 'sys-firewall', 'work'], 0, 300_000);
    const mine = rows.filter((r) => r.seq > since);
    assert.deepEqual(
      mine.map((r) => [r.qube, JSON.parse(r.detail).result]),
      [
        ['sys-net', 'started'],
        ['sys-firewall', 'started'],
        ['work', 'started'],
      ],
    );
    const started = (await audit()).filter((e) => e.seq > since && e.event === 'qube-started').map((e) => e.qube);
    assert.deepEqual(started, ['sys-net', 'sys-firewall', 'work'], 'one start each, netvm before its users');
    const ls = JSON.parse(d.ok(['ls', '--json'])) as { name: string; state: string }[];
    const state = (n: string) => ls.find((q) => q.name === n)?.state;
    assert.equal(state('plain'), 'halted', 'no autostart, not started');
    assert.equal(state('default-dvm'), 'halted');
    assert.equal(d.ok(['run', 'work', '--', 'hostname']).trim(), 'work');
  });

  it('ExecStop shuts every qube down, users first and sys-net last, then the daemon; nothing is left', async () => {
    d.ok(['start', 'plain']);
    const since = (await audit()).at(-1)?.seq ?? 0;
    const [cmd, ...args] = argv('ExecStop');
    const t0 = Date.now();
    const r = spawnSync(cmd as string, args, { env: unitEnv(), cwd: '/', encoding: 'utf8', timeout: Number(unitValues(unit, 'TimeoutStopSec')[0]) * 1000 });
    const took = (Date.now() - t0) / 1000;
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'shut down: plain work\nshut down: sys-firewall\nshut down: sys-net\nbulkheadd stopped\n');
    assert.ok(took < Number(unitValues(unit, 'TimeoutStopSec')[0]), `stop took ${took} s`);
    assert.equal(await daemonExit, 0, 'the daemon exited cleanly');
    assert.equal(d.daemonPid(), null, 'pid file gone');
    assert.equal(existsSync(join(d.home, 'admin', 'admin.sock')), false, 'socket gone');
    // The audit log (read from the database, the daemon being gone) shows the order.
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(join(d.home, 'state.db'), { readonly: true });
    const stopped = (db.prepare("SELECT qube FROM audit WHERE seq > ? AND event = 'qube-stopped' ORDER BY seq").all(since) as { qube: string }[]).map(
      (x) => x.qube,
    );
    db.close();
    assert.deepEqual(stopped.slice(0, 2).sort(), ['plain', 'work']);
    assert.deepEqual(stopped.slice(2), ['sys-firewall', 'sys-net']);
    assert.deepEqual(
      crunList(`${d.prefix}-`).map((c) => c.id),
      [],
      'no container left',
    );
    for (const n of ['sys-net', 'sys-firewall', 'work', 'plain'])
      assert.deepEqual(
        netnsWith(d.ns(n)).filter((x) => x === d.ns(n)),
        [],
        `no namespace of ${n}`,
      );
    // The unit's ExecStop on a stopped daemon (systemd runs it after a crash too) succeeds and touches nothing.
    const again = spawnSync(cmd as string, args, { env: unitEnv(), cwd: '/', encoding: 'utf8', timeout: 60_000 });
    assert.equal(again.status, 0, again.stderr);
    assert.equal(again.stdout, 'bulkheadd is not running\n');
  });
});
