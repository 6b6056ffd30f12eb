// Table tests of the port plan: Whonix's ports and flags, unique bound ports per workstation, bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planGateway, listenerOf, assignSlots, slotsAbove, WHONIX_SOCKS_PORTS, type GatewayInput } from './index.js';
import { labInput, links } from './fixtures.test-util.js';

test("Whonix's SocksPorts and isolation flags", () => {
  const flags = (p: number) => WHONIX_SOCKS_PORTS.find((s) => s.port === p)?.flags;
  const cases: [number, string[]][] = [
    [9050, []],
    [9100, []],
    [9101, ['IsolateDestAddr', 'IsolateDestPort']],
    [9104, []],
    [9108, ['IsolateDestAddr', 'IsolateDestPort']],
    [9111, []],
    [9150, ['KeepAliveIsolateSOCKSAuth']],
    [9153, []],
    [9160, ['IsolateDestAddr']],
    [9170, ['IsolateDestPort']],
    [9189, ['IsolateDestAddr', 'IsolateDestPort']],
  ];
  for (const [p, f] of cases) assert.deepEqual(flags(p), f, String(p));
  assert.equal(flags(9151), undefined);
  assert.equal(flags(9190), undefined);
  assert.equal(WHONIX_SOCKS_PORTS.length, 66);
});

test('each workstation: same facing ports, its own bound ports, IsolateSOCKSAuth on every SocksPort', () => {
  const plan = planGateway(labInput(3));
  const facing = plan.workstations.map((w) => w.listeners.map((l) => l.facingPort).join(','));
  assert.equal(new Set(facing).size, 1, 'workstations see identical ports');
  const bound = plan.workstations.flatMap((w) => w.listeners.map((l) => l.port));
  assert.equal(new Set(bound).size, bound.length, 'no bound port is shared');
  const w1 = plan.workstations[1]!;
  assert.equal(listenerOf(w1, 9040).port, 20240);
  assert.equal(listenerOf(w1, 53).port, 20200);
  assert.equal(listenerOf(w1, 9051).port, 20251);
  assert.equal(listenerOf(w1, 9150).port, 20350);
  assert.deepEqual(listenerOf(w1, 9101).flags, ['IsolateSOCKSAuth', 'IsolateDestAddr', 'IsolateDestPort']);
  for (const l of w1.listeners.filter((x) => x.kind === 'socks')) assert.ok(l.flags.includes('IsolateSOCKSAuth'));
  assert.deepEqual(
    plan.workstations.map((w) => w.mark),
    [1, 2, 3],
  );
  assert.deepEqual(plan.torControl, { host: '127.0.0.1', port: 9052 });
});

test('removing the middle of three workstations moves no other listener (ports keyed to the qube)', () => {
  const names = ['anon-a', 'anon-b', 'anon-c'];
  const first = assignSlots(names, new Map());
  assert.deepEqual(Object.fromEntries(first), { 'anon-a': 0, 'anon-b': 1, 'anon-c': 2 });
  const plan = (ns: string[], slots: Map<string, number>) =>
    planGateway(labInput(1, { workstations: ns.map((n) => ({ ...links(1)[0]!, name: n, ifname: `vif${n.slice(-1)}`, slot: slots.get(n)! })) }));
  const ports = (p: ReturnType<typeof planGateway>) => new Map(p.workstations.map((w) => [w.name, { ports: w.listeners.map((l) => l.port), mark: w.mark }]));
  const before = ports(plan(names, first));
  const rest = ['anon-a', 'anon-c'];
  const second = assignSlots(rest, first);
  const after = ports(plan(rest, second));
  for (const n of rest) assert.deepEqual(after.get(n), before.get(n), `${n} keeps its listeners and mark`);
  // A newcomer takes the freed block, never an occupied one; the others still do not move.
  const third = assignSlots(['anon-a', 'anon-c', 'anon-d'], second);
  assert.deepEqual(Object.fromEntries(third), { 'anon-a': 0, 'anon-c': 2, 'anon-d': 1 });
  const full = ports(plan(['anon-a', 'anon-c', 'anon-d'], third));
  for (const n of rest) assert.deepEqual(full.get(n), before.get(n));
});

test('slot assignment: duplicates and out-of-range slots are re-assigned, the first holder keeps its slot; a full gateway is refused', () => {
  const got = assignSlots(
    ['a', 'b', 'c', 'd'],
    new Map([
      ['a', 5],
      ['b', 5],
      ['c', 9999],
      ['d', 0],
    ]),
  );
  assert.deepEqual(Object.fromEntries(got), { a: 5, b: 1, c: 2, d: 0 });
  assert.equal(slotsAbove(20000), 227);
  assert.throws(() => assignSlots(['a', 'b', 'c'], new Map(), 2), /workstations: at most 2/);
});

test('portBase moves every block; the largest count that fits is accepted', () => {
  const plan = planGateway(labInput(2, { portBase: 30000 }));
  assert.equal(listenerOf(plan.workstations[1]!, 9040).port, 30240);
  const top = planGateway({ ...labInput(1), workstations: links(2), portBase: 65535 - 199 - 200 });
  assert.equal(Math.max(...top.workstations[1]!.listeners.map((l) => l.port)) <= 65535, true);
  assert.throws(() => planGateway({ ...labInput(1), workstations: links(3), portBase: 65535 - 199 - 200 }), /workstations: at most 2/);
});

test('invalid input names the field', () => {
  const w = links(2);
  const cases: [Partial<GatewayInput>, RegExp][] = [
    [{ workstations: [] }, /^workstations: must list at least one/],
    [{ workstations: [{ ...w[0]!, gatewayAddr: '10.152.152.256' }] }, /workstations\[0\]\.gatewayAddr: '10\.152\.152\.256' is not an IPv4/],
    [{ workstations: [{ ...w[0]!, workstationAddr: '10.152.152.10' }] }, /workstations\[0\]\.workstationAddr: must differ/],
    [{ workstations: [w[0]!, { ...w[1]!, ifname: 'vif0' }] }, /workstations\[1\]\.ifname: 'vif0' appears twice/],
    [{ workstations: [w[0]!, { ...w[1]!, name: 'anon-0' }] }, /workstations\[1\]\.name: 'anon-0' appears twice/],
    [{ workstations: [{ ...w[0]!, ifname: 'a-very-long-interface' }] }, /workstations\[0\]\.ifname/],
    [{ workstations: [{ ...w[0]!, ifname: 'lo' }] }, /workstations\[0\]\.ifname: 'lo'/],
    [{ workstations: [{ ...w[0]!, name: 'bad name' }] }, /workstations\[0\]\.name/],
    [{ workstations: [{ ...w[0]!, name: 'x\nSocksPort 0.0.0.0:9050' }] }, /workstations\[0\]\.name: must not contain control/],
    [{ uplink: 'vif0' }, /^uplink: 'vif0' is also a workstation link/],
    [{ dataDir: 'relative/dir' }, /^dataDir: .* must be an absolute path/],
    [{ dataDir: '/with space' }, /^dataDir: .*spaces/],
    [{ control: { host: '10.152.152.10', port: 9052 } }, /^control\.host: .*loopback/],
    [{ control: { host: '127.0.0.1', port: 70000 } }, /^control\.port/],
    [{ control: { socketPath: 'control' } }, /^control\.socketPath/],
    [{ portBase: 80 }, /^portBase: must be at least 1024/],
    [{ workstations: [{ ...w[0]!, slot: -1 }] }, /workstations\[0\]\.slot: must be an integer 0\.\.226/],
    [{ workstations: [{ ...w[0]!, slot: 1.5 }] }, /workstations\[0\]\.slot/],
    [{ workstations: [w[0]!, { ...w[1]!, slot: 0 }] }, /workstations\[1\]\.slot: 0 appears twice/],
  ];
  for (const [patch, re] of cases) {
    assert.throws(
      () => planGateway(labInput(1, patch)),
      (e: Error & { code?: string }) => re.test(e.message) && e.code === 'ERR_INVALID_VALUE',
      re.source,
    );
  }
});
