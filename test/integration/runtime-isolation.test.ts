// Real qubes under crun (as root): process, file, user, mount, seccomp, memory and network isolation, persistence and clean teardown.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { run } from '../../src/exec/index.js';
import { createNsRuntime, detectCgroupLayout } from '../../src/runtime/ns/index.js';
import type { QubeRuntimeSpec, Runtime } from '../../src/runtime/types.js';
import { ensureTestRootfs, execIn, runPrefix, testSpec, testUidBase } from './runtime-fixture.js';

const prefix = runPrefix('rt');
const base = `/var/tmp/bulkhead-test-runtime/${prefix}`;
const started = new Set<QubeRuntimeSpec>();
const netns = `${prefix}-ns`;
let rt: Runtime;
let lower: string;
let a: QubeRuntimeSpec;
let b: QubeRuntimeSpec;

const sh = (s: QubeRuntimeSpec, script: string, user?: string) => execIn(rt, s.id, ['sh', '-c', script], user);

async function start(s: QubeRuntimeSpec) {
  started.add(s);
  return rt.start(s);
}

function cgroupDirsOf(id: string): string[] {
  const layout = detectCgroupLayout();
  if (layout === 'v2') return [`/sys/fs/cgroup/bulkhead/${id}`];
  return readdirSync('/sys/fs/cgroup')
    .filter((c) => c !== 'unified')
    .map((c) => `/sys/fs/cgroup/${c}/bulkhead/${id}`);
}

function mountsMentioning(text: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes(text));
}

before(async () => {
  lower = await ensureTestRootfs();
  mkdirSync(base, { recursive: true, mode: 0o700 });
  mkdirSync('/run/bulkhead-test', { recursive: true, mode: 0o711 });
  rt = createNsRuntime();
  const seed = Math.floor(Math.random() * 65536);
  const mk = (name: string, slot: number, extra: Partial<Parameters<typeof testSpec>[0]> = {}) =>
    testSpec({ prefix, name, base, lowerDir: lower, uidBase: testUidBase(slot, seed), ...extra });
  a = mk('a', 0);
  b = mk('b', 1);
  await start(a);
  await start(b);
});

after(async () => {
  for (const s of started) await rt.kill(s).catch(() => {});
  await run('ip', ['netns', 'del', netns], { allowFail: true });
  rmSync(base, { recursive: true, force: true });
  for (const d of readdirSync('/run/bulkhead-test')) if (d.startsWith(prefix)) rmSync(`/run/bulkhead-test/${d}`, { recursive: true, force: true });
});

describe('ns runtime isolation', () => {
  it('a qube sees only its own processes', async () => {
    const r = await sh(a, 'ps -e -o pid=,comm=');
    assert.equal(r.code, 0, r.err);
    const lines = r.out
      .trim()
      .split('\n')
      .map((l) => l.trim());
    assert.match(lines[0] ?? '', /^1 init$/);
    assert.ok(lines.length <= 4, `only init, sh and ps expected, got:\n${r.out}`);
    // The host's PID 1 and this test process do not exist inside.
    const host = await sh(a, `test -e /proc/${process.pid} && echo visible || echo hidden`);
    assert.equal(host.out.trim(), 'hidden');
  });

  it('root inside is an unprivileged uid range, different for every qube', async () => {
    const ra = await sh(a, 'id -u; cat /proc/self/uid_map');
    const rb = await sh(b, 'cat /proc/self/uid_map');
    assert.match(ra.out, new RegExp(`^0\\n\\s+0\\s+${a.uidBase}\\s+65536`));
    assert.match(rb.out, new RegExp(`^\\s+0\\s+${b.uidBase}\\s+65536`));
    assert.notEqual(a.uidBase, b.uidBase);
    const w = await sh(a, 'echo hello > /written-by-root && mkdir -p /etc/xdir');
    assert.equal(w.code, 0, w.err);
    const st = statSync(`${a.rootRwDir}/upper/written-by-root`);
    assert.equal(st.uid, a.uidBase);
    assert.equal(st.gid, a.uidBase);
    // Template files keep their owners inside (root is 0 through the idmapped lower) and the template is untouched.
    const ls = await sh(a, 'stat -c %u:%g /etc/passwd /usr/bin/passwd');
    assert.equal(ls.out, '0:0\n0:0\n');
    assert.equal(existsSync(`${lower}/written-by-root`), false);
  });

  it("cannot see the host's or another qube's files", async () => {
    const secret = `${base}/host-secret-${prefix}`;
    writeFileSync(secret, 'host secret\n', { mode: 0o644 });
    const wb = await sh(b, 'echo qube-b-secret > /rw/b-secret; echo b-root > /b-root-file');
    assert.equal(wb.code, 0, wb.err);
    const r = await sh(a, `cat ${secret} ${b.privateDir}/b-secret /rw/b-secret /b-root-file ${b.rootRwDir}/upper/b-root-file 2>/dev/null; ls /rw; echo done`);
    assert.doesNotMatch(r.out, /host secret|qube-b-secret|b-root/);
    assert.match(r.out, /done/);
    // Its mount table does not reveal the host's layout (layers named through /proc/self/fd).
    const mi = await sh(a, 'cat /proc/self/mountinfo');
    for (const hostPath of [a.rootRwDir, a.runDir, lower]) assert.ok(!mi.out.includes(hostPath), `mountinfo shows ${hostPath}`);
    const hostname = await sh(a, 'hostname');
    assert.equal(hostname.out.trim(), 'a');
  });

  it('runs commands as the qube user with /home/user owned by it', async () => {
    const r = await sh(a, 'id -u; pwd; touch /home/user/mine && stat -c %u /home/user/mine', 'user');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, '1000\n/home/user\n1000\n');
    assert.equal(statSync(`${a.privateDir}/home/user/mine`).uid, a.uidBase + 1000);
    const denied = await sh(a, 'touch /etc/not-root 2>&1; echo $?', 'user');
    assert.match(denied.out, /Permission denied\n1\n/);
  });

  it('refuses mount, unshare, ptrace, module loading and other host-level calls', async () => {
    const checks: Array<[string, string]> = [
      ['mount -t tmpfs none /mnt', 'mount'],
      ['unshare -U true', 'unshare -U'],
      ['unshare -m true', 'unshare -m'],
      ['unshare -n true', 'unshare -n'],
      ['nsenter -t 1 -m true', 'setns'],
      ['python3 -c "import ctypes,sys; l=ctypes.CDLL(None,use_errno=True); sys.exit(0 if l.syscall(313,-1,b\'\',0)==0 else 1)"', 'finit_module'],
      ['python3 -c "import ctypes,sys; l=ctypes.CDLL(None,use_errno=True); sys.exit(0 if l.syscall(175,None,0,b\'\')==0 else 1)"', 'init_module'],
      ['python3 -c "import ctypes,sys; l=ctypes.CDLL(None,use_errno=True); sys.exit(0 if l.ptrace(16,1,0,0)==0 else 1)"', 'ptrace attach'],
      ['python3 -c "import ctypes,sys; l=ctypes.CDLL(None,use_errno=True); sys.exit(0 if l.syscall(321,0,0,0)>=0 else 1)"', 'bpf'],
      ['python3 -c "import ctypes,sys; l=ctypes.CDLL(None,use_errno=True); sys.exit(0 if l.syscall(250,0,0,0,0,0)>=0 else 1)"', 'keyctl'],
      ['echo 1 > /proc/sys/kernel/sysrq', '/proc/sys write'],
      ['mknod /tmp/sda b 8 0', 'mknod'],
      ['hostname other', 'sethostname'],
    ];
    for (const [cmd, what] of checks) {
      const r = await sh(a, `${cmd} 2>/dev/null`);
      assert.notEqual(r.code, 0, `${what} must be refused`);
    }
    // ptrace of a process outside: a host process is not even visible, and attaching fails.
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const r = await sh(
        a,
        `python3 -c "import ctypes,sys; l=ctypes.CDLL(None,use_errno=True); r=l.ptrace(16,${sleeper.pid},0,0); print(r, ctypes.get_errno())"`,
      );
      assert.equal(r.out.trim(), '-1 1', 'ptrace(PTRACE_ATTACH) answers EPERM');
    } finally {
      sleeper.kill('SIGKILL');
    }
    // the seccomp filter is in place for exec'd processes
    const init = await sh(a, 'grep -E "^(Seccomp|NoNewPrivs):" /proc/1/status');
    assert.match(init.out, /NoNewPrivs:\s+1\nSeccomp:\s+2/);
    const status = await sh(a, 'grep -E "^(Seccomp|NoNewPrivs|CapBnd):" /proc/self/status');
    assert.match(status.out, /NoNewPrivs:\s+1/);
    assert.match(status.out, /Seccomp:\s+2/);
    const capbnd = BigInt(`0x${/CapBnd:\s+([0-9a-f]+)/.exec(status.out)?.[1] ?? '0'}`);
    for (const bit of [21n /* SYS_ADMIN */, 16n /* SYS_MODULE */, 19n /* SYS_PTRACE */, 12n /* NET_ADMIN */, 17n /* SYS_RAWIO */]) {
      assert.equal((capbnd >> bit) & 1n, 0n, `capability ${bit} must not be in the bounding set`);
    }
  });

  it('a qube without a netns has only lo, and lo is up', async () => {
    const r = await sh(a, 'ip -o link');
    assert.equal(r.code, 0, r.err);
    const links = r.out.split('\n').filter((l) => /^\d+: /.test(l));
    assert.equal(links.length, 1, r.out);
    assert.match(links[0] ?? '', /^1: lo: <LOOPBACK,UP,LOWER_UP>/);
    const routes = await sh(a, 'ip -4 route show table all; ip -6 route show table all');
    assert.doesNotMatch(routes.out, /^default/m);
    assert.doesNotMatch(routes.out, /dev (?!lo\b)/, routes.out);
    const ping = await sh(a, 'ping -c1 -W1 127.0.0.1 >/dev/null && echo ok');
    assert.equal(ping.out.trim(), 'ok', ping.err);
  });

  it('a memory hog is OOM-killed inside only; init survives', async () => {
    const m = testSpec({ prefix, name: 'mem', base, lowerDir: lower, uidBase: testUidBase(2), maxmemMiB: 64 });
    const inst = await start(m);
    const r = await execIn(rt, m.id, ['python3', '-c', 'x = b"x" * (512 << 20); print(len(x))']);
    assert.ok(r.code === 137 || r.signal === 'SIGKILL', `hog must be killed (code ${r.code}, ${r.err.slice(-200)})`);
    const st = await rt.state(m.id);
    assert.equal(st?.status, 'running');
    assert.equal(st?.pid, inst.pid);
    const alive = await execIn(rt, m.id, ['true']);
    assert.equal(alive.code, 0);
    await rt.stop(m, 2000);
    started.delete(m);
  });

  it('pause freezes and unpause thaws; state and list report it', async () => {
    await rt.pause(a.id);
    assert.equal((await rt.state(a.id))?.status, 'paused');
    await rt.unpause(a.id);
    assert.equal((await rt.state(a.id))?.status, 'running');
    const listed = await rt.list(prefix);
    assert.deepEqual(listed.map((i) => i.id).sort(), [a.id, b.id].sort());
    assert.equal(await rt.state(`${prefix}-nosuch`), null);
  });

  it('writes to / vanish after stop and start, /rw and /home/user persist', async () => {
    const w = await sh(a, 'echo v > /vanish; echo r > /rw/keep-rw; echo h > /home/user/keep-home');
    assert.equal(w.code, 0, w.err);
    await rt.stop(a, 3000);
    assert.equal(existsSync(`${a.rootRwDir}/upper`), false, 'volatile upper discarded at stop');
    await rt.start(a);
    const r = await sh(a, 'cat /vanish 2>/dev/null || echo gone; cat /rw/keep-rw /home/user/keep-home /rw/home/user/keep-home');
    assert.equal(r.out, 'gone\nr\nh\nh\n');
  });

  it('keeps the root of a non-volatile qube across restarts', async () => {
    const t = testSpec({ prefix, name: 'tpl', base, lowerDir: lower, uidBase: testUidBase(3), volatileRoot: false });
    await start(t);
    // a kept root is synced to disk; a discarded one is mounted `volatile` (no sync at unmount)
    assert.doesNotMatch(mountsMentioning(`${t.runDir}/root `).join('\n'), /volatile/);
    assert.match(mountsMentioning(`${a.runDir}/root `).join('\n'), /[,=]volatile/);
    await execIn(rt, t.id, ['sh', '-c', 'echo installed > /opt/pkg']);
    await rt.stop(t, 2000);
    await rt.start(t);
    const r = await execIn(rt, t.id, ['cat', '/opt/pkg']);
    assert.equal(r.out, 'installed\n');
    await rt.stop(t, 2000);
    started.delete(t);
  });

  it('stop ends a process that ignores SIGTERM within the timeout', async () => {
    const s = testSpec({ prefix, name: 'stub', base, lowerDir: lower, uidBase: testUidBase(4) });
    await start(s);
    const bg = rt.exec(s.id, ['sh', '-c', "trap '' TERM; while :; do sleep 1; done"]);
    bg.stdin.end();
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    await rt.stop(s, 500);
    assert.ok(Date.now() - t0 < 3000, `stop took ${Date.now() - t0} ms`);
    started.delete(s);
  });

  it('joins a given network namespace', async () => {
    await run('ip', ['netns', 'add', netns]);
    const n = testSpec({ prefix, name: 'net', base, lowerDir: lower, uidBase: testUidBase(5), netnsPath: `/run/netns/${netns}` });
    await start(n);
    const dev = `v${prefix.slice(-6)}`;
    await run('ip', ['-n', netns, 'link', 'add', `${dev}a`, 'type', 'veth', 'peer', 'name', `${dev}b`]);
    const r = await execIn(rt, n.id, ['ip', '-o', 'link']);
    assert.match(r.out, new RegExp(`${dev}a`));
    // the host's /sys (and its cgroup tree) is not visible there
    const sys = await execIn(rt, n.id, ['sh', '-c', 'ls -A /sys | wc -l; grep -c " /sys/fs/cgroup" /proc/self/mountinfo']);
    assert.equal(sys.out, '0\n0\n');
    await rt.stop(n, 2000);
    started.delete(n);
  });

  it('a restarted runtime finds running qubes again and execs as a named user', async () => {
    const fresh = createNsRuntime();
    const direct = await execIn(fresh, a.id, ['id', '-u'], 'user');
    assert.equal(direct.out, '1000\n', direct.err);
    const again = createNsRuntime();
    const listed = await again.list(prefix);
    assert.ok(listed.some((i) => i.id === a.id && i.status === 'running' && i.pid > 1));
    const r = await execIn(again, a.id, ['sh', '-c', 'echo $HOME; id -un'], 'user');
    assert.equal(r.out, '/home/user\nuser\n');
  });

  it('cleans up after an init that died, and kill leaves nothing behind', async () => {
    const d = testSpec({ prefix, name: 'dead', base, lowerDir: lower, uidBase: testUidBase(6) });
    const inst = await start(d);
    process.kill(inst.pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await rt.state(d.id))?.status, 'stopped');
    await rt.cleanup(d);
    assert.equal(await rt.state(d.id), null);
    assert.deepEqual(mountsMentioning(d.runDir), []);
    await rt.start(d);
    const bg = rt.exec(d.id, ['sleep', '60']);
    bg.stdin.end();
    await rt.kill(d);
    started.delete(d);
    for (const c of cgroupDirsOf(d.id)) assert.equal(existsSync(c), false, c);
    assert.equal(existsSync(d.runDir), false);
    assert.deepEqual(mountsMentioning(d.runDir), []);
  });

  it('refuses a second start of a running qube without touching it', async () => {
    await assert.rejects(rt.start(a), /already exists/);
    const r = await sh(a, 'cat /rw/keep-rw');
    assert.equal(r.out, 'r\n');
  });

  it('after stop of a volatile qube no mount, cgroup, crun state or run dir remains', async () => {
    const pid = (await rt.state(b.id))?.pid ?? 0;
    const nsOf = (p: string, kinds: string[]) =>
      kinds.flatMap((k) => {
        try {
          return [readlinkSync(`/proc/${p}/ns/${k}`)];
        } catch {
          return [];
        }
      });
    const kinds = ['user', 'net', 'mnt', 'pid', 'ipc', 'uts', 'cgroup'];
    const qubeNs = new Set(nsOf(String(pid), kinds));
    assert.equal(qubeNs.size, kinds.length);
    for (const own of nsOf('self', kinds)) qubeNs.delete(own); // never the host's own
    assert.equal(qubeNs.size, kinds.length, 'the qube has its own namespace of every kind');
    await rt.stop(b, 3000);
    started.delete(b);
    assert.deepEqual(mountsMentioning(b.runDir), []);
    assert.deepEqual(mountsMentioning(b.rootRwDir), []);
    for (const d of cgroupDirsOf(b.id)) assert.equal(existsSync(d), false, d);
    assert.equal(existsSync(b.runDir), false);
    assert.equal(existsSync(`/run/crun/${b.id}`), false);
    assert.equal(await rt.state(b.id), null);
    assert.equal(existsSync(`${b.rootRwDir}/upper`), false);
    assert.equal(readFileSync(`${b.privateDir}/b-secret`, 'utf8'), 'qube-b-secret\n', 'private volume kept');
    // no process of its uid range is left, so none of its namespaces is held open
    const inRange: string[] = [];
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      let status = '';
      try {
        status = readFileSync(`/proc/${pid}/status`, 'utf8');
      } catch {
        continue;
      }
      const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
      // A zombie has already released its namespaces, mounts and memory; it waits only for the
      // host's PID 1 to reap it (some hosts' PID 1 does that late).
      if (/^State:\s+Z/m.test(status)) continue;
      if (uid >= b.uidBase && uid < b.uidBase + b.uidCount) inRange.push(`${pid} ${/^Name:\s+(.*)$/m.exec(status)?.[1]}`);
    }
    assert.deepEqual(inRange, []);
    // and no process anywhere is still in one of its namespaces
    const isZombie = (p: string) => {
      try {
        return /^State:\s+Z/m.test(readFileSync(`/proc/${p}/status`, 'utf8'));
      } catch {
        return true; // gone meanwhile
      }
    };
    const holders = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((p) => nsOf(p, kinds).some((n) => qubeNs.has(n)))
      .filter((p) => !isZombie(p))
      .map(
        (p) =>
          `${p} ${nsOf(p, kinds)
            .filter((n) => qubeNs.has(n))
            .join(',')}`,
      );
    assert.deepEqual(holders, []);
    // stopping again is harmless
    await rt.stop(b, 100);
  });
});
