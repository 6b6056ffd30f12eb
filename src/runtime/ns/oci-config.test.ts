// Golden checks of the generated OCI config, the seccomp profile, capabilities and crun output parsing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { QubeRuntimeSpec } from '../types.js';
import { ADDABLE_CAPS, DEFAULT_CAPS, qubeCaps } from './caps.js';
import { parseCrunList, parseCrunState } from './crun.js';
import { INIT_PATH_IN_QUBE, buildOciConfig, qubePaths } from './oci-config.js';
import { findPasswdUser, resolveQubeUser } from './passwd.js';
import { ALLOWED_SYSCALLS, CLONE_NAMESPACE_FLAGS, DENIED_SYSCALLS, qubeSeccompProfile } from './seccomp.js';

const spec: QubeRuntimeSpec = {
  name: 'work',
  id: 'bh-work',
  hostname: 'work',
  lowerDir: '/var/lib/bulkhead/templates/debian-12/root',
  rootRwDir: '/var/lib/bulkhead/qubes/work/root',
  volatileRoot: true,
  privateDir: '/var/lib/bulkhead/qubes/work/private',
  uidBase: 0x40000000,
  uidCount: 65536,
  memoryMiB: 400,
  maxmemMiB: 4000,
  vcpus: 2,
  pidsMax: 1024,
  netnsPath: null,
  mounts: [{ source: '/run/bulkhead/rpc/work', destination: '/run/qubes-rpc', readonly: true }],
  env: { QUBE: 'work' },
  runDir: '/run/bulkhead/qubes/bh-work',
};
const opts = { initHostPath: '/opt/bulkhead/native/build/qube-init', cgroupsPath: '/bulkhead/bh-work' };

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('buildOciConfig', () => {
  const c = buildOciConfig(spec, opts) as Any;

  it('makes every mount nosuid,nodev (a qube-made setuid file or device node never counts), but its own devpts', () => {
    for (const m of [c, buildOciConfig({ ...spec, netnsPath: '/run/netns/x' }, opts) as Any].flatMap((x) => x.mounts as Any[])) {
      // devpts (a new instance) holds only the qube's own pseudo-terminals and takes no mknod: a terminal
      // emulator on the qube's display opens them, so it is the one mount without nodev.
      const devpts = m.type === 'devpts' && m.options.includes('newinstance');
      assert.ok(m.options.includes('nosuid') && (devpts || m.options.includes('nodev')), `${m.destination}: ${m.options.join(',')}`);
    }
  });

  it('runs qube-init as PID 1, root, no new privileges, the default capabilities', () => {
    assert.deepEqual(c.process.args, [INIT_PATH_IN_QUBE, '3000']);
    assert.deepEqual(c.process.user, { uid: 0, gid: 0 });
    assert.equal(c.process.noNewPrivileges, true);
    assert.deepEqual(c.process.capabilities.bounding, [...DEFAULT_CAPS].sort());
    assert.deepEqual(c.process.capabilities.effective, c.process.capabilities.bounding);
    assert.ok(c.process.env.includes('QUBE=work'));
    for (const cap of ['CAP_SYS_ADMIN', 'CAP_SYS_MODULE', 'CAP_SYS_PTRACE', 'CAP_NET_ADMIN', 'CAP_SYS_RAWIO', 'CAP_NET_RAW']) {
      assert.ok(!c.process.capabilities.bounding.includes(cap), cap);
    }
  });

  it('has every namespace, a user namespace mapping 0 to the qube range, and a new netns', () => {
    assert.deepEqual(c.linux.namespaces, [
      { type: 'pid' },
      { type: 'ipc' },
      { type: 'uts' },
      { type: 'mount' },
      { type: 'cgroup' },
      { type: 'user' },
      { type: 'network' },
    ]);
    assert.deepEqual(c.linux.uidMappings, [{ containerID: 0, hostID: 0x40000000, size: 65536 }]);
    assert.deepEqual(c.linux.gidMappings, c.linux.uidMappings);
    assert.deepEqual(c.linux.sysctl, { 'net.ipv4.ping_group_range': '0 65535' });
  });

  it('joins a given network namespace and sets no sysctl there', () => {
    const j = buildOciConfig({ ...spec, netnsPath: '/run/netns/bh-work' }, opts) as Any;
    assert.deepEqual(j.linux.namespaces.at(-1), { type: 'network', path: '/run/netns/bh-work' });
    assert.deepEqual(j.linux.sysctl, {});
    const sys = (j.mounts as Any[]).find((m) => m.destination === '/sys');
    assert.equal(sys.type, 'tmpfs', 'no host /sys for a joined network namespace');
    assert.ok(sys.options.includes('ro'));
  });

  it('uses the merged overlay as root and binds init, /rw and /home/user', () => {
    const p = qubePaths(spec);
    assert.deepEqual(c.root, { path: '/run/bulkhead/qubes/bh-work/root', readonly: false });
    const byDest = new Map((c.mounts as Any[]).map((m) => [m.destination, m]));
    assert.deepEqual(byDest.get(INIT_PATH_IN_QUBE), {
      destination: INIT_PATH_IN_QUBE,
      type: 'bind',
      source: opts.initHostPath,
      options: ['bind', 'ro', 'nosuid', 'nodev'],
    });
    assert.equal(byDest.get('/rw').source, p.privateMnt);
    assert.equal(byDest.get('/home/user').source, `${p.privateMnt}/home/user`);
    assert.deepEqual(byDest.get('/run/qubes-rpc').options, ['bind', 'ro', 'nosuid', 'nodev']);
    assert.equal(byDest.get('/proc').type, 'proc');
    assert.equal(byDest.get('/sys').options.includes('ro'), true);
    // /run is mounted before the init binary is placed inside it
    const dests = (c.mounts as Any[]).map((m) => m.destination);
    assert.ok(dests.indexOf('/run') < dests.indexOf(INIT_PATH_IN_QUBE));
  });

  it('limits memory, cpu and pids', () => {
    assert.deepEqual(c.linux.resources.memory, { limit: 4000 * 1048576, reservation: 400 * 1048576 });
    assert.deepEqual(c.linux.resources.cpu, { quota: 200000, period: 100000 });
    assert.deepEqual(c.linux.resources.pids, { limit: 1024 });
    assert.equal(c.linux.cgroupsPath, '/bulkhead/bh-work');
    assert.deepEqual(c.linux.resources.devices, [{ allow: false, access: 'rwm' }]);
  });

  it('masks /proc paths and makes /proc/sys read-only', () => {
    for (const m of ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/sys/firmware']) assert.ok(c.linux.maskedPaths.includes(m), m);
    for (const r of ['/proc/sys', '/proc/sysrq-trigger', '/proc/bus']) assert.ok(c.linux.readonlyPaths.includes(r), r);
  });

  it('adds only allowed extra capabilities', () => {
    const x = buildOciConfig({ ...spec, extraCaps: ['CAP_NET_RAW', 'NET_ADMIN'] }, opts) as Any;
    assert.ok(x.process.capabilities.bounding.includes('CAP_NET_RAW'));
    assert.ok(x.process.capabilities.bounding.includes('CAP_NET_ADMIN'));
    assert.throws(() => buildOciConfig({ ...spec, extraCaps: ['CAP_SYS_ADMIN'] }, opts), /extraCaps\[0\]: "CAP_SYS_ADMIN" may not be granted/);
    assert.throws(() => qubeCaps(['CAP_NET_RAW', 'SYS_MODULE']), /extraCaps\[1\]/);
    assert.ok(!ADDABLE_CAPS.includes('CAP_SYS_PTRACE'));
  });

  const invalid: Array<[string, Partial<QubeRuntimeSpec>, RegExp]> = [
    ['bad id', { id: 'a/b' }, /id "a\/b" is not a valid runtime id/],
    ['relative lower', { lowerDir: 'templates/x' }, /lowerDir must be an absolute path/],
    ['comma in upper', { rootRwDir: '/var/a,b' }, /rootRwDir must be an absolute path/],
    ['dotdot', { privateDir: '/var/../etc' }, /privateDir must be an absolute path/],
    ['uid base 0', { uidBase: 0 }, /uidBase must be an integer ≥ 65536/],
    ['small range', { uidCount: 1000 }, /uidCount/],
    ['maxmem < memory', { maxmemMiB: 100 }, /maxmemMiB must be an integer ≥ memoryMiB/],
    ['zero vcpus', { vcpus: 0 }, /vcpus must be positive/],
    ['pids', { pidsMax: 0 }, /pidsMax/],
    ['relative mount', { mounts: [{ source: 'x', destination: '/y', readonly: true }] }, /mounts\[0\]/],
  ];
  for (const [what, change, re] of invalid) {
    it(`refuses a spec with ${what}`, () => assert.throws(() => buildOciConfig({ ...spec, ...change }, opts), re));
  }
});

describe('seccomp profile', () => {
  const prof = qubeSeccompProfile('x64');
  it('denies by default with EPERM', () => {
    assert.equal(prof.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(prof.defaultErrnoRet, 1);
    assert.deepEqual(prof.architectures, ['SCMP_ARCH_X86_64'], 'the native ABI only (see seccomp.test.ts)');
  });
  it('allows none of the dangerous calls unconditionally', () => {
    const allowed = new Set(prof.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args).flatMap((r) => r.names));
    for (const d of DENIED_SYSCALLS) assert.ok(!allowed.has(d), d);
    for (const d of [
      'unshare',
      'mount',
      'umount2',
      'pivot_root',
      'ptrace',
      'init_module',
      'finit_module',
      'delete_module',
      'kexec_load',
      'bpf',
      'perf_event_open',
      'keyctl',
      'add_key',
      'setns',
      'clone',
    ])
      assert.ok(!allowed.has(d), d);
    assert.equal(new Set(ALLOWED_SYSCALLS).size, ALLOWED_SYSCALLS.length, 'no duplicates');
  });
  it('allows clone only without namespace flags, and clone3 answers ENOSYS', () => {
    const clone = prof.syscalls.find((r) => r.names.includes('clone'));
    assert.deepEqual(clone?.args, [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }]);
    assert.ok((CLONE_NAMESPACE_FLAGS & 0x10000000) !== 0, 'CLONE_NEWUSER is in the mask');
    const clone3 = prof.syscalls.find((r) => r.names.includes('clone3'));
    assert.deepEqual(clone3, { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
  });
});

describe('crun output', () => {
  it('parses state and list', () => {
    assert.deepEqual(parseCrunState('{"ociVersion":"1.0.0","id":"bh-a","pid":42,"status":"running","bundle":"/run/b/bh-a"}'), {
      id: 'bh-a',
      pid: 42,
      status: 'running',
      bundle: '/run/b/bh-a',
    });
    assert.deepEqual(parseCrunState('{"id":"bh-a","pid":42,"status":"stopped"}'), { id: 'bh-a', pid: 0, status: 'stopped', bundle: null });
    assert.deepEqual(parseCrunList(''), []);
    assert.deepEqual(parseCrunList('[{"id":"x","pid":3,"status":"paused","bundle":"/b"},{"nope":1}]'), [{ id: 'x', pid: 3, status: 'paused', bundle: '/b' }]);
  });
});

describe('user resolution', () => {
  const passwd = 'root:x:0:0:root:/root:/bin/bash\nuser:x:1000:1000:user:/home/user:/bin/bash\nbad:x:a:b::/:/bin/sh\n';
  it('reads names, numbers and refuses junk', () => {
    assert.deepEqual(findPasswdUser(passwd, 'user'), { uid: 1000, gid: 1000, home: '/home/user' });
    assert.equal(findPasswdUser(passwd, 'bad'), null);
    assert.equal(findPasswdUser(passwd, 'nobody'), null);
    assert.deepEqual(resolveQubeUser(undefined, undefined), { uid: 0, gid: 0, home: '/root' });
    assert.deepEqual(resolveQubeUser(undefined, '1000:5'), { uid: 1000, gid: 5, home: '/' });
    assert.throws(() => resolveQubeUser('/nonexistent', 'user;rm'), /not a valid user name/);
    assert.throws(() => resolveQubeUser(undefined, 'user'), /root is unknown/);
  });
});

describe('encrypted volumes in the spec', () => {
  const keyId = '0123456789abcdef0123456789abcdef';
  const enc: QubeRuntimeSpec = {
    ...spec,
    volatileRoot: false,
    rootRwDir: '/p/work/mnt/root',
    rootImage: '/p/work/root',
    privateDir: '/p/work/mnt/private',
    privateImage: '/p/work/private',
    crypt: { keyId, dataSubdir: 'crypt', private: true, root: true },
  };

  it('puts the private data, the upper and work in the encrypted directory of each image', () => {
    const p = qubePaths(enc);
    assert.equal(p.privateData, '/p/work/mnt/private/crypt');
    assert.equal(p.home, '/p/work/mnt/private/crypt/home/user');
    assert.equal(p.upper, '/p/work/mnt/root/crypt/upper');
    assert.equal(p.work, '/p/work/mnt/root/crypt/work');
    const plain = qubePaths({ ...enc, crypt: undefined });
    assert.equal(plain.privateData, '/p/work/mnt/private');
    assert.equal(plain.upper, '/p/work/mnt/root/upper');
    const privOnly = qubePaths({ ...enc, crypt: { ...enc.crypt!, root: false } });
    assert.equal(privOnly.upper, '/p/work/mnt/root/upper');
  });

  it('refuses a bad key id, a data directory that is not one plain name, and encryption without an image', () => {
    assert.doesNotThrow(() => buildOciConfig(enc, opts));
    const bad: [Partial<QubeRuntimeSpec>, RegExp][] = [
      [{ crypt: { ...enc.crypt!, keyId: 'XYZ' } }, /crypt\.keyId/],
      [{ crypt: { ...enc.crypt!, dataSubdir: '../x' } }, /crypt\.dataSubdir/],
      [{ crypt: { ...enc.crypt!, dataSubdir: 'a/b' } }, /crypt\.dataSubdir/],
      [{ privateImage: undefined }, /crypt\.private needs a private image/],
      [{ privateTmpfsBytes: 1 << 26 }, /crypt\.private/],
      [{ rootImage: undefined }, /crypt\.root needs a persistent root image/],
      [{ volatileRoot: true }, /crypt\.root/],
    ];
    for (const [change, msg] of bad) assert.throws(() => buildOciConfig({ ...enc, ...change }, opts), msg, JSON.stringify(change));
  });
});
