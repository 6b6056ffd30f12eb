// Acceptance: qubes started by the real daemon under crun are isolated — processes, files, uid map, volatile root, refused syscalls, memory limit, network, disposable residue.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI } from './helpers/daemon.js';
import { withPrivateTree } from './helpers/private-volume.js';
import { cgroupDirsWith, coreDaemon, crunList, lsJson, mountsWith, netnsWith, type CoreDaemon } from './core-fixture.js';

// Python helper run inside a qube: one raw syscall, prints "errno <n>" or "ok".
const SYSCALL_PY = `
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
nr = {'x86_64': {'ptrace': 101, 'init_module': 175, 'finit_module': 313}, 'aarch64': {'ptrace': 117, 'init_module': 105, 'finit_module': 273}}[os.uname().machine]
what = sys.argv[1]
if what == 'ptrace':
    r = libc.syscall(ctypes.c_long(nr['ptrace']), ctypes.c_long(16), ctypes.c_long(int(sys.argv[2])), ctypes.c_long(0), ctypes.c_long(0))
elif what == 'init_module':
    img = ctypes.create_string_buffer(b'\\x7fELF' + b'\\0' * 60)
    r = libc.syscall(ctypes.c_long(nr['init_module']), img, ctypes.c_long(64), ctypes.c_char_p(b''))
else:
    fd = os.open('/bin/true', os.O_RDONLY)
    r = libc.syscall(ctypes.c_long(nr['finit_module']), ctypes.c_long(fd), ctypes.c_char_p(b''), ctypes.c_long(0))
print('ok' if r == 0 else 'errno %d' % ctypes.get_errno())
`;
const EPERM = 1;

describe('core isolation through bulkhead run', { timeout: 600_000 }, () => {
  let d: CoreDaemon;
  const hostMarker = `/var/tmp/${process.env.BULKHEAD_TEST_RUN ?? 'bht'}-core-marker-${randomBytes(4).toString('hex')}`;
  const secret = randomBytes(12).toString('hex');

  const run = (name: string, cmd: string[], user?: string, input?: string) => d.cli(['run', ...(user ? ['--user', user] : []), name, '--', ...cmd], input);
  const sh = (name: string, script: string, user?: string) => run(name, ['sh', '-c', script], user);

  before(async () => {
    d = await coreDaemon('iso');
    writeFileSync(hostMarker, `${secret}\n`, { mode: 0o644 });
    d.ok(['create', 'alpha', '--template', 'debian-12', '--label', 'blue']);
    d.ok(['create', 'beta', '--template', 'debian-12', '--label', 'green']);
    d.ok(['create', 'hog', '--template', 'debian-12', '--label', 'red', '--prop', 'memory=100', '--prop', 'maxmem=128']);
    d.ok(['create', 'dvm', '--template', 'debian-12', '--label', 'red', '--prop', 'template_for_dispvms=true']);
    d.ok(['start', 'alpha', 'beta', 'hog']);
  });

  after(async () => {
    rmSync(hostMarker, { force: true });
    await d?.destroy();
  });

  it('a qube sees only its own processes', () => {
    // A long-lived process in beta; alpha must not see it, beta must.
    const bg = sh('beta', 'sleep 600 >/dev/null 2>&1 </dev/null & echo started');
    assert.equal(bg.code, 0, bg.stderr);
    const inBeta = run('beta', ['ps', '-eo', 'pid=,comm=']);
    assert.equal(inBeta.code, 0, inBeta.stderr);
    assert.match(inBeta.stdout, /\bsleep\b/, 'positive control: beta sees its own sleep');
    const inAlpha = run('alpha', ['ps', '-eo', 'pid=,comm=']);
    assert.equal(inAlpha.code, 0, inAlpha.stderr);
    const procs = inAlpha.stdout
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/));
    // Only the qube's init, its RPC agent (when the RPC feature runs one) and the ps itself.
    const comms = procs.map((p) => p[1]).sort();
    assert.deepEqual(
      comms.filter((c) => c !== 'bh-agent'),
      ['init', 'ps'],
      `alpha sees: ${inAlpha.stdout}`,
    );
    assert.ok(comms.filter((c) => c === 'bh-agent').length <= 1, `alpha sees: ${inAlpha.stdout}`);
    assert.ok(
      procs.some((p) => p[0] === '1' && p[1] === 'init'),
      'pid 1 is the qube init',
    );
    // The host's own pid (this test runner) does not exist inside.
    const probe = sh('alpha', `test -e /proc/${process.pid}/cmdline && cat /proc/${process.pid}/cmdline || echo absent`);
    assert.ok(process.pid > 50, 'the host pid is distinguishable from the qube pids');
    assert.equal(probe.stdout.trim(), 'absent');
  });

  it("cannot see the host's files or another qube's files", () => {
    assert.ok(existsSync(hostMarker));
    const host = sh('alpha', `cat ${hostMarker}; ls ${d.home} 2>&1; grep -rs ${secret} /var/tmp /tmp /rw /home 2>/dev/null; echo done`, 'root');
    assert.equal(host.code, 0, host.stderr);
    assert.doesNotMatch(host.stdout, new RegExp(secret));
    assert.match(host.stdout, /No such file or directory/);
    // beta writes a secret in its home, /tmp and /rw; alpha searches for it.
    const bsecret = randomBytes(12).toString('hex');
    const w = sh('beta', `echo ${bsecret} > /home/user/b-secret && echo ${bsecret} > /tmp/b-secret && echo ${bsecret} > /rw/b-secret`, 'root');
    assert.equal(w.code, 0, w.stderr);
    assert.match(sh('beta', 'cat /home/user/b-secret').stdout, new RegExp(bsecret), 'positive control');
    const look = sh('alpha', `ls -a /home/user /tmp /rw; grep -rs ${bsecret} /home /tmp /rw /var /root /srv /opt 2>/dev/null; echo done`, 'root');
    assert.equal(look.code, 0, look.stderr);
    assert.doesNotMatch(look.stdout, /b-secret/);
    assert.doesNotMatch(look.stdout, new RegExp(bsecret));
  });

  it('root inside is an unprivileged uid range on the host, different per qube', () => {
    const maps = ['alpha', 'beta'].map((n) => {
      const r = sh(n, 'cat /proc/self/uid_map; id -u', 'root');
      assert.equal(r.code, 0, r.stderr);
      const [inside, host, count] = r.stdout.trim().split('\n')[0]!.trim().split(/\s+/).map(Number);
      assert.equal(r.stdout.trim().split('\n')[1], '0', 'root inside has uid 0 in its namespace');
      assert.equal(inside, 0);
      assert.ok(host! > 0, `${n}: host base ${host} is not host root`);
      assert.ok(count! <= 65536, `${n}: ${count} ids mapped`);
      return { host: host!, count: count! };
    });
    const [a, b] = maps as [{ host: number; count: number }, { host: number; count: number }];
    assert.notEqual(a.host, b.host);
    assert.ok(a.host + a.count <= b.host || b.host + b.count <= a.host, `ranges overlap: ${JSON.stringify(maps)}`);
  });

  it('writes to / vanish on restart while /rw and /home/user persist', () => {
    const tag = randomBytes(6).toString('hex');
    const w = sh(
      'alpha',
      `echo ${tag} > /root-marker && echo ${tag} > /rw/rw-marker && echo ${tag} > /home/user/home-marker && echo ${tag} > /etc/etc-marker`,
      'root',
    );
    assert.equal(w.code, 0, w.stderr);
    const u = sh('alpha', `echo ${tag} > /home/user/user-marker`);
    assert.equal(u.code, 0, u.stderr);
    d.ok(['shutdown', '--wait', '--timeout', '20', 'alpha']);
    assert.equal(lsJson(d).find((q) => q.name === 'alpha')?.state, 'halted');
    d.ok(['start', 'alpha']);
    const r = sh(
      'alpha',
      'for f in /root-marker /etc/etc-marker /rw/rw-marker /home/user/home-marker /home/user/user-marker; do printf "%s=" $f; cat $f 2>/dev/null || echo missing; done',
      'root',
    );
    assert.equal(r.code, 0, r.stderr);
    const seen = Object.fromEntries(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('=') as [string, string]),
    );
    assert.deepEqual(seen, {
      '/root-marker': 'missing',
      '/etc/etc-marker': 'missing',
      '/rw/rw-marker': tag,
      '/home/user/home-marker': tag,
      '/home/user/user-marker': tag,
    });
  });

  it('mount, unshare, ptrace and module loading are refused, even to root inside', () => {
    const mount = sh('alpha', 'mount -t tmpfs x /mnt', 'root');
    assert.notEqual(mount.code, 0, 'mount -t tmpfs succeeded');
    assert.match(mount.stderr, /permission denied|not permitted/i);
    for (const flag of ['-U', '-m', '-n', '-p']) {
      const u = run('alpha', ['unshare', flag, 'true'], 'root');
      assert.notEqual(u.code, 0, `unshare ${flag} succeeded`);
      assert.match(u.stderr, /Operation not permitted/);
    }
    const caps = sh('alpha', 'grep -E "^Cap(Bnd|Eff):" /proc/self/status', 'root');
    const bnd = BigInt(`0x${/CapBnd:\s*([0-9a-f]+)/.exec(caps.stdout)?.[1] ?? 'x'}`);
    const has = (bit: number) => (bnd & (1n << BigInt(bit))) !== 0n;
    assert.ok(!has(19), 'CAP_SYS_PTRACE in the bounding set');
    assert.ok(!has(16), 'CAP_SYS_MODULE in the bounding set');
    assert.ok(!has(21), 'CAP_SYS_ADMIN in the bounding set');
    assert.ok(!has(17), 'CAP_SYS_RAWIO in the bounding set');
    // ptrace: of a process in the same qube (a child of the caller), of pid 1, and of an outside pid number.
    const traceChild = run('alpha', ['sh', '-c', 'sleep 30 & python3 -c "$0" ptrace $!; kill $!', SYSCALL_PY], 'root');
    assert.equal(traceChild.stdout.trim(), `errno ${EPERM}`, traceChild.stderr);
    for (const pid of ['1', String(process.pid)]) {
      for (const user of ['root', 'user']) {
        const t = run('alpha', ['python3', '-c', SYSCALL_PY, 'ptrace', pid], user);
        assert.equal(t.stdout.trim(), `errno ${EPERM}`, `ptrace ${pid} as ${user}: ${t.stdout}${t.stderr}`);
      }
    }
    for (const call of ['init_module', 'finit_module']) {
      const m = run('alpha', ['python3', '-c', SYSCALL_PY, call], 'root');
      assert.equal(m.stdout.trim(), `errno ${EPERM}`, `${call}: ${m.stdout}${m.stderr}`);
    }
  });

  it('a memory hog is killed inside only; the qube stays and answers', () => {
    const hog = run('hog', ['python3', '-c', 'b = b"x" * 10**9; print(len(b))']);
    assert.notEqual(hog.code, 0, 'a 1 GB allocation succeeded under maxmem=128');
    assert.equal(hog.code, 137, `killed by SIGKILL (OOM) expected, got ${hog.code}: ${hog.stderr}`);
    assert.equal(lsJson(d).find((q) => q.name === 'hog')?.state, 'running');
    const again = run('hog', ['echo', 'alive']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout.trim(), 'alive');
    // A smaller allocation within the limit works (the limit is not simply "everything fails").
    const small = run('hog', ['python3', '-c', 'b = b"x" * (32 * 2**20); print(len(b))']);
    assert.equal(small.code, 0, small.stderr);
    assert.equal(lsJson(d).find((q) => q.name === 'alpha')?.state, 'running');
  });

  it('a qube with no netvm has only lo', () => {
    assert.equal(lsJson(d).find((q) => q.name === 'beta')?.netvm, null);
    const links = run('beta', ['ip', '-o', 'link', 'show']);
    assert.equal(links.code, 0, links.stderr);
    const names = links.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(':')[1]?.trim());
    assert.deepEqual(names, ['lo']);
    const routes = run('beta', ['ip', 'route', 'show']);
    assert.equal(routes.stdout.trim(), '');
    const dev = run('beta', ['cat', '/proc/net/dev']);
    assert.deepEqual(
      dev.stdout
        .trim()
        .split('\n')
        .slice(2)
        .map((l) => l.trim().split(':')[0]),
      ['lo'],
    );
  });

  it('a disposable leaves no directory, cgroup, mount, crun state or namespace behind', async () => {
    // While it runs the residue exists (positive control); after it is gone, none remains.
    const child = spawn(CLI, ['run', '--dispvm', 'dvm', '--', 'sh', '-c', 'hostname; echo x > /home/user/f; echo y > /tmp/f; sleep 3'], { env: d.env });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    let errOut = '';
    child.stderr.on('data', (c: Buffer) => {
      errOut += c.toString();
    });
    const done = new Promise<number>((res) => child.on('exit', (c) => res(c ?? -1)));
    for (let i = 0; i < 100 && !/disp\d+/.test(out); i++) await new Promise((r) => setTimeout(r, 50));
    const name = /(disp\d+)/.exec(out)?.[1];
    assert.ok(name, `no disposable name printed: ${out}${errOut}`);
    const id = `${d.prefix}-${name}`;
    assert.equal(crunList(`${id}`).length, 1, 'running disposable in crun');
    assert.ok(cgroupDirsWith(id).length > 0, 'running disposable has cgroup dirs');
    assert.ok(mountsWith(`/${name}/`).length > 0, 'running disposable has mounts');
    assert.ok(existsSync(join(d.home, 'qubes', name)), 'running disposable has volumes');
    assert.equal(await done, 0, errOut);
    const leftovers = {
      qube: lsJson(d)
        .filter((q) => q.name === name)
        .map((q) => q.name),
      volumes: existsSync(join(d.home, 'qubes', name)),
      runDir: existsSync(join(d.home, 'run', 'qubes', name)),
      cgroups: cgroupDirsWith(id),
      mounts: mountsWith(`/${name}`),
      crun: crunList(id).map((e) => e.id),
      netns: netnsWith(name),
    };
    assert.deepEqual(leftovers, { qube: [], volumes: false, runDir: false, cgroups: [], mounts: [], crun: [], netns: [] });
    // The disposable template itself keeps nothing of it.
    withPrivateTree(join(d.home, 'qubes', 'dvm'), (tree) => {
      assert.ok(existsSync(join(tree, 'home', 'user')), "positive control: the template's private tree is read");
      assert.equal(existsSync(join(tree, 'home', 'user', 'f')), false);
    });
  });
});
