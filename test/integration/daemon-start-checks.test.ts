// The daemon's start checks as root: its host uid range clear of /etc/subuid, /etc/subgid and other state directories; no code, helper or state ancestor another user can change.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ROOT, testDaemon, type TestDaemon } from './helpers/daemon.js';

const RUN = process.env.BULKHEAD_TEST_RUN ?? 'bht';
const SLOT = 65536;

function slotBase(home: string): number {
  const db = new Database(join(home, 'state.db'), { readonly: true });
  try {
    const r = db.prepare("SELECT value FROM globals WHERE key = 'uid_slot_base'").get() as { value: string };
    return JSON.parse(r.value) as number;
  } finally {
    db.close();
  }
}

function setSlotBase(home: string, base: number): void {
  const db = new Database(join(home, 'state.db'));
  try {
    db.prepare("UPDATE globals SET value = ? WHERE key = 'uid_slot_base'").run(JSON.stringify(base));
  } finally {
    db.close();
  }
}

/** The CLI's error: exactly one line, no stack trace. */
function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
  return lines[0]!;
}

describe('daemon start checks', { timeout: 300_000 }, () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('uid range: refused when it overlaps another state directory or /etc/subuid or /etc/subgid; a new one is drawn clear', async () => {
    const reg = mkdtempSync(`/var/tmp/${RUN}-uidreg-`);
    const subs = mkdtempSync(`/var/tmp/${RUN}-subid-`);
    cleanups.push(
      () => rmSync(reg, { recursive: true, force: true }),
      () => rmSync(subs, { recursive: true, force: true }),
    );
    const subuid = join(subs, 'subuid');
    const subgid = join(subs, 'subgid');
    writeFileSync(subuid, '# none yet\n');
    writeFileSync(subgid, '');
    const mk = (tag: string): TestDaemon => {
      const d = testDaemon(tag);
      Object.assign(d.env, { BULKHEAD_UID_REGISTRY: reg, BULKHEAD_SUBUID: subuid, BULKHEAD_SUBGID: subgid });
      cleanups.push(() => d.destroy());
      return d;
    };
    const a = mk('uida');
    a.start();
    const baseA = slotBase(a.home);
    // A new state directory draws a range clear of A's (4096 slots each).
    const b = mk('uidb');
    b.start();
    const baseB = slotBase(b.home);
    assert.ok(Math.abs(baseA - baseB) >= 4096, `ranges overlap: ${baseA} and ${baseB}`);
    b.stop();

    // B's stored range moved onto A's: refused, naming A's state directory.
    setSlotBase(b.home, baseA + 100);
    let r = b.cli(['daemon', 'start']);
    assert.notEqual(r.code, 0, 'an overlapping state directory started');
    assert.match(oneLine(r.stderr), new RegExp(`overlaps .* of the state directory ${a.home}; refusing to start`));
    assert.notEqual(b.cli(['daemon', 'status']).code, 0, 'no daemon runs on B');

    // Back on its own range, but /etc/subuid gives part of it to a user: refused, naming file and line.
    setSlotBase(b.home, baseB);
    writeFileSync(subuid, `# users\nalice:${(baseB + 7) * SLOT + 5}:65536\n`);
    r = b.cli(['daemon', 'start']);
    assert.notEqual(r.code, 0);
    assert.match(oneLine(r.stderr), new RegExp(`overlaps .* of ${subuid}:2 \\(alice:\\d+:65536\\)`));
    writeFileSync(subuid, '');
    writeFileSync(subgid, `bob:${(baseB + 4095) * SLOT}:1\n`);
    r = b.cli(['daemon', 'start']);
    assert.notEqual(r.code, 0);
    assert.match(oneLine(r.stderr), new RegExp(`overlaps .* of ${subgid}:1 \\(bob:`));
    // A bad line is an error naming it, never skipped.
    writeFileSync(subgid, 'bob:100000\n');
    r = b.cli(['daemon', 'start']);
    assert.notEqual(r.code, 0);
    assert.match(oneLine(r.stderr), new RegExp(`${subgid}:1: not NAME:FIRST:COUNT`));

    // Positive control: clear files, B starts; and once A's state directory is gone its claim is dropped.
    writeFileSync(subgid, '');
    b.start();
    b.stop();
    await a.destroy();
    setSlotBase(b.home, baseA + 100);
    b.start();
    assert.equal(slotBase(b.home), baseA + 100);
  });

  it('refuses to run as root from a checkout file, helper or state ancestor another user can change', () => {
    const t = mkdtempSync(`/var/tmp/${RUN}-checkout-`);
    chmodSync(t, 0o755);
    const homes = mkdtempSync(`/var/tmp/${RUN}-homes-`);
    cleanups.push(() => rmSync(t, { recursive: true, force: true }));
    for (const e of ['dist', 'bin', 'policy', 'qube-tools', 'qubes-rpc', 'gateway-profiles', 'package.json', 'native/build']) {
      cpSync(join(ROOT, e), join(t, e), { recursive: true, verbatimSymlinks: true });
    }
    symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(t, 'node_modules'));
    let n = 0;
    const start = (home = join(homes, `s${n++}`)) => {
      const env = { ...process.env, BULKHEAD_HOME: home };
      const r = spawnSync(join(t, 'bin', 'bulkhead'), ['daemon', 'start'], { env, encoding: 'utf8', timeout: 60_000 });
      if (r.status === 0) {
        spawnSync(join(t, 'bin', 'bulkhead'), ['daemon', 'stop'], { env, timeout: 30_000 });
      }
      return r;
    };
    cleanups.push(() => {
      for (let i = 0; i < n; i++) spawnSync(join(t, 'bin', 'bulkhead'), ['daemon', 'stop'], { env: { ...process.env, BULKHEAD_HOME: join(homes, `s${i}`) } });
      rmSync(homes, { recursive: true, force: true });
    });
    // Positive control: the copy as it is starts.
    let r = start();
    assert.equal(r.status, 0, `the clean copy did not start: ${r.stderr}`);

    const server = join(t, 'dist', 'api', 'server.js');
    chmodSync(server, 0o664);
    r = start();
    assert.notEqual(r.status, 0, 'started from a group-writable file');
    assert.equal(oneLine(r.stderr), `bulkhead: bulkheadd: refusing to run from ${server} as root: writable by group (mode 0664)`);
    chmodSync(server, 0o644);

    const helper = join(t, 'native', 'build', 'bh-saferead');
    chownSync(helper, 65534, 65534);
    r = start();
    assert.notEqual(r.status, 0, 'started with a helper owned by nobody');
    assert.match(oneLine(r.stderr), new RegExp(`refusing to run from ${helper} as root: owned by uid 65534, not root`));
    chownSync(helper, 0, 0);

    chmodSync(join(t, 'policy'), 0o757);
    r = start();
    assert.match(oneLine(r.stderr), new RegExp(`refusing to run from ${join(t, 'policy')} as root: writable by others`));
    chmodSync(join(t, 'policy'), 0o755);

    // State under a directory a user owns (it could rename the state directory away and plant its own).
    const userDir = join(homes, 'userdir');
    mkdirSync(userDir, { mode: 0o755 });
    chownSync(userDir, 65534, 65534);
    r = start(join(userDir, 'state'));
    assert.notEqual(r.status, 0);
    assert.match(oneLine(r.stderr), new RegExp(`refusing to keep its state under ${userDir} as root: owned by uid 65534`));

    r = start();
    assert.equal(r.status, 0, `after the fixes the copy starts again: ${r.stderr}`);
  });
});
