// The socket-family allow-list of the qube seccomp profile, evaluated as the kernel would over every family value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { qubeSeccompProfile, seccompProfileLines, SOCKET_FAMILIES, type SeccompArg, type SeccompRule } from './seccomp.js';

const prof = qubeSeccompProfile('x64');

function matches(a: SeccompArg, v: bigint): boolean {
  const x = BigInt(a.value);
  switch (a.op) {
    case 'SCMP_CMP_EQ':
      return v === x;
    case 'SCMP_CMP_NE':
      return v !== x;
    case 'SCMP_CMP_GT':
      return v > x;
    case 'SCMP_CMP_GE':
      return v >= x;
    case 'SCMP_CMP_LE':
      return v <= x;
    case 'SCMP_CMP_MASKED_EQ':
      return (v & x) === BigInt(a.valueTwo ?? 0);
  }
}

/** What the profile answers for `name(arg0 = v, ...)`: the one matching rule's action, else the default. */
function verdict(name: string, v: bigint): string {
  const hits = prof.syscalls.filter((r: SeccompRule) => r.names.includes(name) && (r.args ?? []).every((a) => matches(a, v)));
  assert.ok(hits.length <= 1, `${name}(${v}) matches ${hits.length} rules`);
  const r = hits[0];
  if (!r) return `errno ${prof.defaultErrnoRet}`;
  return r.action === 'SCMP_ACT_ALLOW' ? 'allow' : `errno ${r.errnoRet}`;
}

const ALLOWED = new Set(Object.values(SOCKET_FAMILIES).map(BigInt));
const PROBES = [
  ...Array.from({ length: 64 }, (_, i) => BigInt(i)),
  40n /* AF_VSOCK */,
  17n /* AF_PACKET */,
  38n /* AF_ALG */,
  0x100000002n,
  0x100000028n,
  0xffffffff00000001n,
  0xffffffffn,
  0xffffffffffffffffn,
];

test('socket(2): exactly AF_UNIX, AF_INET, AF_INET6 and AF_NETLINK open; every other value says EAFNOSUPPORT', () => {
  assert.deepEqual(Object.keys(SOCKET_FAMILIES).sort(), ['AF_INET', 'AF_INET6', 'AF_NETLINK', 'AF_UNIX']);
  for (const v of PROBES) assert.equal(verdict('socket', v), ALLOWED.has(v) ? 'allow' : 'errno 97', `socket(${v})`);
});

test('socketpair(2): AF_UNIX only', () => {
  for (const v of PROBES) assert.equal(verdict('socketpair', v), v === 1n ? 'allow' : 'errno 97', `socketpair(${v})`);
});

test('no unconditional socket, socketpair or socketcall rule, and only the native ABI', () => {
  for (const r of prof.syscalls) {
    for (const n of ['socket', 'socketpair', 'socketcall']) if (r.names.includes(n)) assert.ok(r.args?.length, `${n} without an argument check`);
  }
  assert.ok(!prof.syscalls.some((r) => r.names.includes('socketcall')), 'socketcall is not in the native x86_64 ABI');
  assert.deepEqual(qubeSeccompProfile('x64').architectures, ['SCMP_ARCH_X86_64']);
  assert.deepEqual(qubeSeccompProfile('arm64').architectures, ['SCMP_ARCH_AARCH64']);
  assert.match(seccompProfileLines(prof), /^default errno 1\nbadarch kill_process\narch x86_64\n/);
});
