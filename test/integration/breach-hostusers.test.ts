// Attack: a local host user (uid nobody) or another qube's range tries to read the admin's records and a running qube's files, and to run a setuid file a qube planted.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { coreDaemon, crunState, type CoreDaemon } from './core-fixture.js';

const NOBODY = 65534;

/** Runs argv on the host as uid:gid with no supplementary groups. */
function as(uid: number, gid: number, argv: string[]) {
  const r = spawnSync('setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--', ...argv], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** Host uid of a running qube's root (its uid base), read from its init process. */
function uidBaseOfRunning(d: CoreDaemon, name: string): number {
  const st = crunState(`${d.prefix}-${name}`);
  assert.ok(st && st.pid > 0, `${name} runs`);
  const line = readFileSync(`/proc/${st.pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Uid:'));
  return Number(line?.split(/\s+/)[1]);
}

/** Mounts at or below `dir` in the host's mount table: mount point and per-mount options. */
function mountsUnder(dir: string): { point: string; opts: string[] }[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const f = l.split(' ');
      return { point: (f[4] ?? '').replace(/\\040/g, ' '), opts: (f[5] ?? '').split(',') };
    })
    .filter((m) => m.point === dir || m.point.startsWith(`${dir}/`));
}

describe('breach: host users and other qubes', { timeout: 600_000 }, () => {
  let d: CoreDaemon;
  const secret = randomBytes(12).toString('hex');
  const sh = (name: string, script: string) => d.cli(['run', '--user', 'root', name, '--', 'sh', '-c', script]);

  before(async () => {
    d = await coreDaemon('hostusers');
    d.ok(['create', 'victim', '--template', 'debian-12', '--label', 'red']);
    d.ok(['create', 'other', '--template', 'debian-12', '--label', 'green']);
    d.ok(['start', 'victim', 'other']);
    // Records that the daemon keeps: a command with the secret reaches the log and the database.
    const r = sh(
      'victim',
      [
        `echo ${secret} > /rw/secret`,
        `echo ${secret} > /home/user/secret`,
        `echo ${secret} > /root/secret`,
        // setuid-root copies of id in the private volume, the root upper and /tmp (root's own file, u+s)
        'cp /usr/bin/id /rw/suid-id',
        'cp /usr/bin/id /tmp/suid-id',
        'cp /usr/bin/id /usr/local/bin/suid-id',
        'chmod 4755 /rw/suid-id /tmp/suid-id /usr/local/bin/suid-id',
        'ls -l /rw/suid-id',
      ].join(' && '),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^-rwsr-xr-x/, 'the qube made a setuid file');
  });

  after(async () => {
    await d?.destroy();
  });

  it('nobody cannot read state.db, its WAL or the daemon log', () => {
    for (const f of ['state.db', 'state.db-wal', 'state.db-shm', 'bulkheadd.log']) {
      const r = as(NOBODY, NOBODY, ['cat', join(d.home, f)]);
      assert.notEqual(r.code, 0, `${f} was readable by nobody`);
      assert.match(r.out, /Permission denied/, `${f}: ${r.out}`);
    }
  });

  it('nobody cannot list or read anything at the top of the state directory', () => {
    const r = as(NOBODY, NOBODY, ['ls', d.home]);
    assert.match(r.out, /Permission denied/, `listing ${d.home}: ${r.out}`);
    for (const f of ['qubes', 'run', 'run/qubes', 'admin', 'lab', 'policy.d']) {
      const l = as(NOBODY, NOBODY, ['ls', join(d.home, f)]);
      assert.notEqual(l.code, 0, `nobody listed ${f}: ${l.out}`);
    }
  });

  it("nobody cannot reach a running qube's files through its run dir or the pool", () => {
    const paths = [
      'run/qubes/victim/root/root/secret',
      'run/qubes/victim/private/secret',
      'run/qubes/victim/private/home/user/secret',
      'run/qubes/victim/config.json',
      'qubes/victim/private/secret',
      'qubes/victim/root/upper/root/secret',
    ];
    for (const p of paths) {
      const r = as(NOBODY, NOBODY, ['cat', join(d.home, p)]);
      assert.notEqual(r.code, 0, `${p} was readable by nobody: ${r.out}`);
      assert.match(r.out, /Permission denied/, `${p}: ${r.out}`);
      assert.ok(!r.out.includes(secret));
    }
    const l = as(NOBODY, NOBODY, ['ls', join(d.home, 'run/qubes/victim')]);
    assert.match(l.out, /Permission denied/, l.out);
  });

  it("another qube's range cannot traverse the victim's run dir", () => {
    const otherBase = uidBaseOfRunning(d, 'other');
    const victimBase = uidBaseOfRunning(d, 'victim');
    assert.notEqual(otherBase, victimBase);
    for (const p of ['run/qubes/victim/root/root/secret', 'run/qubes/victim/private/secret']) {
      const r = as(otherBase, otherBase, ['cat', join(d.home, p)]);
      assert.match(r.out, /Permission denied/, `${p} as other's root: ${r.out}`);
    }
    // Positive control: the victim's own range passes its run dir (crun needs that to start it).
    const own = as(victimBase, victimBase, ['cat', join(d.home, 'run/qubes/victim/private/secret')]);
    assert.equal(own.out.trim(), secret, own.out);
  });

  it('a setuid file planted in a qube gives nobody on the host its owner (mounts are nosuid,nodev)', () => {
    const victimBase = uidBaseOfRunning(d, 'victim');
    // The victim's user uid on the host with the group that passes the run dir: the only host
    // identity that reaches the file. Without nosuid, exec gives it euid = the qube's root.
    const user = victimBase + 1000;
    for (const p of ['run/qubes/victim/private/suid-id', 'run/qubes/victim/root/tmp/suid-id', 'run/qubes/victim/root/usr/local/bin/suid-id']) {
      const r = as(user, victimBase, [join(d.home, p), '-u']);
      assert.equal(r.code, 0, `${p}: ${r.out}`);
      assert.equal(r.out.trim(), String(user), `${p} ran with euid ${r.out.trim()}, not ${user}`);
      // nobody does not even reach it
      const n = as(NOBODY, NOBODY, [join(d.home, p), '-u']);
      assert.notEqual(n.out.trim(), String(victimBase), `${p} as nobody: ${n.out}`);
    }
    const mounts = mountsUnder(d.home);
    assert.ok(mounts.length >= 4, `expected the qubes' mounts under ${d.home}: ${JSON.stringify(mounts)}`);
    for (const m of mounts) {
      assert.ok(m.opts.includes('nosuid') && m.opts.includes('nodev'), `${m.point} is mounted ${m.opts.join(',')}`);
    }
  });
});
