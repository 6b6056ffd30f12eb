// Table tests of the sealing judgement: what counts as a leak towards the host's network.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeSealing, type LinkInfo, type NetInventory, type RouteInfo } from './sealing.js';

const lo = (ns: string): LinkInfo => ({ netns: ns, ifname: 'lo', ifindex: 1, kind: 'loopback' });
const veth = (ns: string, ifname: string, ifindex: number, peerNs: string, peerIndex: number): LinkInfo => ({
  netns: ns,
  ifname,
  ifindex,
  kind: 'veth',
  peer: { place: { kind: 'named', netns: peerNs }, ifindex: peerIndex },
});
const route = (ns: string, dst: string, devs: string[], family: 4 | 6 = 4): RouteInfo => ({ netns: ns, family, dst, table: 'main', devs });

function sealedWorld(): NetInventory {
  return {
    prefix: 'p1',
    namespaces: ['p1-a', 'p1-b'],
    links: [lo('p1-a'), veth('p1-a', 'h-b', 2, 'p1-b', 2), lo('p1-b'), veth('p1-b', 'eth0', 2, 'p1-a', 2)],
    routes: [route('p1-a', '192.0.2.10', ['h-b']), route('p1-b', 'default', ['eth0']), route('p1-b', '127.0.0.1', ['lo']), route('p1-b', 'unreachable', [])],
    hostLinks: [
      { netns: null, ifname: 'eth0', ifindex: 2, kind: 'ether' },
      { netns: null, ifname: 'vethX', ifindex: 9, kind: 'veth', peer: { place: { kind: 'named', netns: 'other-ns' }, ifindex: 3 } },
    ],
  };
}

test('a world of lo and paired veths between prefixed namespaces is sealed', () => {
  const r = judgeSealing(sealedWorld());
  assert.deepEqual(r.violations, []);
  assert.equal(r.sealed, true);
  assert.equal(r.checkedLinks, 4);
  assert.equal(r.checkedRoutes, 4);
});

const cases: [string, (w: NetInventory) => void, RegExp][] = [
  [
    'veth peer in the host (unnamed) namespace',
    (w) => {
      w.links[1] = { ...(w.links[1] as LinkInfo), peer: { place: { kind: 'unnamed', nsid: 4 }, ifindex: 30 } };
    },
    /unnamed namespace/,
  ],
  [
    'veth peer in a namespace without the prefix',
    (w) => {
      w.links[1] = veth('p1-a', 'h-b', 2, 'docker-x', 2);
    },
    /does not carry the prefix/,
  ],
  [
    'veth peer in the same namespace',
    (w) => {
      w.links[1] = { ...(w.links[1] as LinkInfo), peer: { place: { kind: 'same' }, ifindex: 3 } };
    },
    /same namespace/,
  ],
  [
    'a real NIC moved into a namespace',
    (w) => {
      w.links.push({ netns: 'p1-b', ifname: 'ens3', ifindex: 5, kind: 'ether' });
    },
    /ether device/,
  ],
  [
    'a bridge',
    (w) => {
      w.links.push({ netns: 'p1-a', ifname: 'br0', ifindex: 7, kind: 'bridge' });
    },
    /bridge device/,
  ],
  [
    'a macvlan',
    (w) => {
      w.links.push({ netns: 'p1-a', ifname: 'mv0', ifindex: 8, kind: 'macvlan' });
    },
    /macvlan/,
  ],
  [
    'peers that do not point at each other',
    (w) => {
      w.links[3] = veth('p1-b', 'eth0', 2, 'p1-a', 9);
    },
    /do not point at each other/,
  ],
  [
    'peer ifindex missing',
    (w) => {
      w.links[1] = veth('p1-a', 'h-b', 2, 'p1-b', 42);
    },
    /not in the inventory/,
  ],
  [
    'veth without peer info',
    (w) => {
      w.links[1] = { netns: 'p1-a', ifname: 'h-b', ifindex: 2, kind: 'veth' };
    },
    /no known peer/,
  ],
  [
    'route through a device that is not a sealed link',
    (w) => {
      w.routes.push(route('p1-a', '0.0.0.0/0', ['eth9']));
    },
    /eth9, which is not a sealed link/,
  ],
  [
    'IPv6 route through a non-sealed device',
    (w) => {
      w.routes.push(route('p1-b', '::/0', ['ens3'], 6));
    },
    /IPv6 route/,
  ],
  [
    'host interface carrying the prefix',
    (w) => {
      w.hostLinks.push({ netns: null, ifname: 'p1leak', ifindex: 20, kind: 'dummy' });
    },
    /carries the prefix/,
  ],
  [
    'host veth into a prefixed namespace',
    (w) => {
      w.hostLinks.push({ netns: null, ifname: 'vleak', ifindex: 21, kind: 'veth', peer: { place: { kind: 'named', netns: 'p1-a' }, ifindex: 2 } });
    },
    /leads into p1-a/,
  ],
];

for (const [name, mutate, expected] of cases) {
  test(`not sealed: ${name}`, () => {
    const w = sealedWorld();
    mutate(w);
    const r = judgeSealing(w);
    assert.equal(r.sealed, false);
    assert.ok(
      r.violations.some((v) => expected.test(v)),
      `${expected} in ${JSON.stringify(r.violations)}`,
    );
  });
}

test('a route through a link that failed the link check is also reported', () => {
  const w = sealedWorld();
  w.links[1] = { ...(w.links[1] as LinkInfo), peer: { place: { kind: 'unnamed', nsid: 0 }, ifindex: 30 } };
  const r = judgeSealing(w);
  assert.ok(r.violations.some((v) => /route 192\.0\.2\.10 .* h-b/.test(v)));
});
