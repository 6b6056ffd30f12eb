// Socket families in a real qube: only AF_UNIX, AF_INET, AF_INET6 and AF_NETLINK open; AF_VSOCK (not namespaced) and the rest
// say EAFNOSUPPORT, and the x86 32-bit ABI (socketcall, whose family seccomp cannot read) ends the process.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { createNsRuntime } from '../../src/runtime/ns/index.js';
import type { QubeRuntimeSpec, Runtime } from '../../src/runtime/types.js';
import { ensureTestRootfs, execIn, runPrefix, testSpec, testUidBase } from './runtime-fixture.js';

const prefix = runPrefix('sock');
const base = `/var/tmp/bulkhead-test-runtime/${prefix}`;
let rt: Runtime;
let q: QubeRuntimeSpec | null = null;

/** Opens each family (argv) and prints `NAME ok` or `NAME errno`. */
const FAMILIES_PY = `
import socket, sys
kinds = {'AF_UNIX': socket.SOCK_STREAM, 'AF_INET': socket.SOCK_STREAM, 'AF_INET6': socket.SOCK_DGRAM, 'AF_NETLINK': socket.SOCK_RAW,
         'AF_VSOCK': socket.SOCK_STREAM, 'AF_PACKET': socket.SOCK_RAW, 'AF_ALG': socket.SOCK_SEQPACKET}
for name in sys.argv[1:]:
    try:
        socket.socket(getattr(socket, name), kinds[name]).close()
        print(name, 'ok')
    except OSError as e:
        print(name, e.errno)
a, b = socket.socketpair(socket.AF_UNIX)
a.send(b'x'); print('socketpair', b.recv(1).decode())
`;

/** A 64-bit process entering the x86 32-bit ABI with int 0x80: socketcall(SYS_SOCKET, {AF_VSOCK, SOCK_STREAM, 0}). */
const SOCKETCALL_PY = `
import ctypes, mmap, struct
page = mmap.mmap(-1, 4096, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | 0x40, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
base = ctypes.addressof(ctypes.c_char.from_buffer(page))
assert base < 2**32
page[2048:2060] = struct.pack('<III', 40, 1, 0)
# push rbx; mov eax, 102; mov ebx, 1; mov ecx, args; int 0x80; pop rbx; ret
code = b'\\x53\\xb8' + struct.pack('<I', 102) + b'\\xbb' + struct.pack('<I', 1) + b'\\xb9' + struct.pack('<I', base + 2048) + b'\\xcd\\x80\\x5b\\xc3'
page[0:len(code)] = code
print('before', flush=True)
print('socketcall', ctypes.CFUNCTYPE(ctypes.c_int)(base)(), flush=True)
`;

before(async () => {
  const lower = await ensureTestRootfs();
  mkdirSync(base, { recursive: true, mode: 0o700 });
  mkdirSync('/run/bulkhead-test', { recursive: true, mode: 0o711 });
  rt = createNsRuntime();
  // NET_RAW granted: AF_PACKET is then refused by the filter, not by a missing capability.
  q = testSpec({ prefix, name: 'a', base, lowerDir: lower, uidBase: testUidBase(5), extraCaps: ['CAP_NET_RAW'] });
  await rt.start(q);
});

after(async () => {
  if (q) await rt.kill(q).catch(() => {});
  rmSync(base, { recursive: true, force: true });
  for (const d of readdirSync('/run/bulkhead-test')) if (d.startsWith(prefix)) rmSync(`/run/bulkhead-test/${d}`, { recursive: true, force: true });
});

describe('socket families in a qube', () => {
  it('AF_VSOCK, AF_PACKET and AF_ALG fail with EAFNOSUPPORT; AF_UNIX, AF_INET, AF_INET6, AF_NETLINK and socketpair work', async () => {
    for (const user of ['root', 'user']) {
      const r = await execIn(
        rt,
        q!.id,
        ['python3', '-c', FAMILIES_PY, 'AF_UNIX', 'AF_INET', 'AF_INET6', 'AF_NETLINK', 'AF_VSOCK', 'AF_PACKET', 'AF_ALG'],
        user,
      );
      assert.equal(r.code, 0, r.err);
      // A non-root user would get EPERM for AF_PACKET from the kernel; the filter answers before it.
      assert.equal(r.out, 'AF_UNIX ok\nAF_INET ok\nAF_INET6 ok\nAF_NETLINK ok\nAF_VSOCK 97\nAF_PACKET 97\nAF_ALG 97\nsocketpair x\n', `as ${user}`);
    }
  });

  it('the python one-liner of the threat: socket(AF_VSOCK, SOCK_STREAM) raises EAFNOSUPPORT', async () => {
    const r = await execIn(rt, q!.id, ['python3', '-c', 'import socket; socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)'], 'root');
    assert.notEqual(r.code, 0);
    assert.match(r.err, /OSError: \[Errno 97\] Address family not supported by protocol/);
  });

  it('socketcall through the x86 32-bit ABI is no way around: the process ends with SIGSYS before it gets a socket', async () => {
    const r = await execIn(rt, q!.id, ['sh', '-c', `python3 -c "$0"; echo "exit=$?"`, SOCKETCALL_PY], 'root');
    assert.match(r.out, /^before\n/, r.err);
    assert.doesNotMatch(r.out, /socketcall/, 'socketcall returned instead of ending the process');
    assert.match(r.out, /exit=159\n$/, '128 + SIGSYS (31)');
  });
});
