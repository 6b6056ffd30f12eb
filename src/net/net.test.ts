// Unit tests of the net/ helpers that build `ip` batch lines and parse `ip -j` output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { p2pLines, parseRoutes } from './addresses.js';
import { splitJsonBatch } from './batch.js';
import { parseLinks, vethLine } from './link.js';
import { checkIfname, checkNetnsName } from './names.js';

test('veth line creates both ends inside their namespaces', () => {
  assert.equal(vethLine({ netns: 'p-a', ifname: 'h-b', peerNetns: 'p-b', peerIfname: 'eth0' }), 'link add h-b netns p-a type veth peer name eth0 netns p-b');
  assert.throws(() => vethLine({ netns: 'p a', ifname: 'h-b', peerNetns: 'p-b', peerIfname: 'eth0' }), /netns/);
  assert.throws(() => vethLine({ netns: 'p-a', ifname: 'x'.repeat(16), peerNetns: 'p-b', peerIfname: 'eth0' }), /ifname/);
});

test('names with whitespace, slashes or newlines are refused', () => {
  for (const bad of ['', 'a b', 'a/b', 'a\nlink del eth0', '../x', '-n']) assert.throws(() => checkNetnsName(bad));
  for (const bad of ['', 'a b', 'abcdefghijklmnop', 'a\n']) assert.throws(() => checkIfname(bad));
});

test('point-to-point lines, Qubes style', () => {
  const qube = { netns: 'p-q', ifname: 'eth0', addresses: ['10.137.0.12'] };
  const netvm = { netns: 'p-fw', ifname: 'vif12', addresses: ['10.137.0.6'] };
  assert.deepEqual(p2pLines(qube, netvm, { defaultRoute: true, loUp: true }), [
    'link set lo up',
    'link set eth0 up',
    'address add 10.137.0.12/32 dev eth0',
    'route add 10.137.0.6/32 dev eth0 scope link src 10.137.0.12',
    'route add default via 10.137.0.6 dev eth0 onlink src 10.137.0.12',
  ]);
  assert.deepEqual(p2pLines(netvm, qube), [
    'link set vif12 up',
    'address add 10.137.0.6/32 dev vif12',
    'route add 10.137.0.12/32 dev vif12 scope link src 10.137.0.6',
  ]);
  assert.throws(() => p2pLines({ ...qube, addresses: ['10.137.0.300'] }, netvm), /addresses\[0\]/);
});

test('JSON batch output splits into one array per command', () => {
  assert.deepEqual(splitJsonBatch('[{"a":1}]\n[]\n[{"b":2}]\n'), [[{ a: 1 }], [], [{ b: 2 }]]);
});

test('links parse with veth peers located by nsid', () => {
  const links = [
    { ifindex: 1, ifname: 'lo', link_type: 'loopback' },
    { ifindex: 2, link_index: 5, ifname: 'h-b', link_type: 'ether', link_netnsid: 0, linkinfo: { info_kind: 'veth' } },
    { ifindex: 3, link_index: 7, ifname: 'up0', link_type: 'ether', link_netnsid: 1, linkinfo: { info_kind: 'veth' } },
    { ifindex: 4, link_index: 6, ifname: 'v0', link_type: 'ether', linkinfo: { info_kind: 'veth' } },
    { ifindex: 8, ifname: 'ens3', link_type: 'ether' },
    { ifindex: 9, link: 'p1', ifname: 'p0', link_type: 'ether', linkinfo: { info_kind: 'veth' } },
    { ifindex: 10, link: 'p0', ifname: 'p1', link_type: 'ether', linkinfo: { info_kind: 'veth' } },
  ];
  const parsed = parseLinks('p-a', links, [{ nsid: 0, name: 'p-b' }, { nsid: 1 }]);
  assert.deepEqual(
    parsed.map((l) => [l.ifname, l.kind, l.peer?.place, l.peer?.ifindex]),
    [
      ['lo', 'loopback', undefined, undefined],
      ['h-b', 'veth', { kind: 'named', netns: 'p-b' }, 5],
      ['up0', 'veth', { kind: 'unnamed', nsid: 1 }, 7],
      ['v0', 'veth', { kind: 'same' }, 6],
      ['ens3', 'ether', undefined, undefined],
      ['p0', 'veth', { kind: 'same' }, 10],
      ['p1', 'veth', { kind: 'same' }, 9],
    ],
  );
});

test('routes parse with every output device, multipath included', () => {
  const r = parseRoutes('p-a', 4, [
    { dst: 'default', gateway: '192.0.2.1', dev: 'eth0', flags: ['onlink'] },
    { type: 'unreachable', dst: '10.0.0.0/8', flags: [] },
    { dst: '1.2.3.0/24', nexthops: [{ dev: 'a' }, { dev: 'b' }], table: '100' },
  ]);
  assert.deepEqual(
    r.map((x) => [x.dst, x.table, x.devs]),
    [
      ['default', 'main', ['eth0']],
      ['10.0.0.0/8', 'main', []],
      ['1.2.3.0/24', '100', ['a', 'b']],
    ],
  );
});
