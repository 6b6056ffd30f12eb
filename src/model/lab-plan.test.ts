// Tests of the lab's address plan: documentation ranges only, names, slots, DNS arguments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ipv4InCidr } from './addresses.js';
import {
  checkAttachedAddress,
  checkLabHostName,
  checkLabPrefix,
  dnsmasqArgs,
  LAB_HOSTS,
  LAB_RELAY_NET,
  LAB_SERVICES_NET,
  LAB_UPLINK_NET,
  labNetns,
  nextUplinkSlot,
  routerIfname,
  uplinkAddress,
} from './lab-plan.js';

const DOC = [LAB_SERVICES_NET, LAB_UPLINK_NET, LAB_RELAY_NET];

test('every lab address is in an RFC 5737 documentation range', () => {
  assert.deepEqual(DOC, ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24']);
  for (const h of LAB_HOSTS)
    for (const a of h.addresses)
      assert.ok(
        DOC.some((c) => ipv4InCidr(a, c)),
        `${h.name} ${a}`,
      );
  for (let s = 1; s <= 253; s++) assert.ok(ipv4InCidr(uplinkAddress(s), LAB_UPLINK_NET));
});

test('host names and addresses are unique', () => {
  const names = LAB_HOSTS.flatMap((h) => h.names);
  assert.equal(new Set(names).size, names.length);
  const addrs = LAB_HOSTS.map((h) => h.addresses[0]);
  assert.equal(new Set(addrs).size, addrs.length);
  assert.ok(names.includes('web.lab.test') && names.includes('other.lab.test'));
});

test('uplink slots: 198.51.100.(N+1), lowest free first, bounded', () => {
  assert.equal(uplinkAddress(1), '198.51.100.2');
  assert.equal(uplinkAddress(253), '198.51.100.254');
  assert.throws(() => uplinkAddress(0));
  assert.throws(() => uplinkAddress(254));
  assert.equal(nextUplinkSlot([]), 1);
  assert.equal(nextUplinkSlot([1, 2, 4]), 3);
  assert.throws(() => nextUplinkSlot(Array.from({ length: 253 }, (_, i) => i + 1)), /in use/);
});

test('prefixes, host names, namespace and interface names', () => {
  assert.equal(checkLabPrefix('bht1a2b'), 'bht1a2b');
  assert.equal(checkLabPrefix('bht1a2b-lab'), 'bht1a2b-lab');
  for (const bad of ['', 'B', '1abc', 'a_b', 'abcdefghijklmnopq', 'a b', 'a/b']) assert.throws(() => checkLabPrefix(bad), /prefix/);
  assert.equal(labNetns('bh', 'web'), 'bh-lab-web');
  assert.equal(routerIfname('uplink', 12), 'u-12');
  assert.equal(routerIfname('attached', 'relays'), 'a-relays');
  assert.throws(() => routerIfname('attached', 'x'.repeat(14)), /15 bytes/);
  assert.equal(checkLabHostName('tor'), 'tor');
  for (const bad of ['web', 'router', 'Tor', 'abcdefghijk', '']) assert.throws(() => checkLabHostName(bad), /name/);
});

test('attached addresses: relay range only, not the router, not taken', () => {
  assert.equal(checkAttachedAddress('203.0.113.10', []), '203.0.113.10');
  for (const bad of ['203.0.113.1', '203.0.113.0', '203.0.113.255', '192.0.2.10', '10.0.0.1', 'nope'])
    assert.throws(() => checkAttachedAddress(bad, []), /address/);
  assert.throws(() => checkAttachedAddress('203.0.113.10', ['203.0.113.10']), /already/);
});

test('dnsmasq arguments never forward: no resolv, no hosts, everything else local-only', () => {
  const a = dnsmasqArgs({ pidFile: '/x/dns.pid', logFile: '/x/dns.log' });
  for (const must of ['--no-resolv', '--no-hosts', '--conf-file=/dev/null', '--local=/#/', '--bind-interfaces', '--listen-address=192.0.2.53'])
    assert.ok(a.includes(must), must);
  assert.ok(a.includes('--host-record=web.lab.test,192.0.2.10'));
  assert.ok(a.includes('--host-record=other.lab.test,192.0.2.20'));
  assert.ok(a.includes('--address=/lab.test/192.0.2.10'));
  assert.ok(!a.some((x) => x.startsWith('--server')));
  assert.equal(a[a.length - 1], '--local=/#/');
});
