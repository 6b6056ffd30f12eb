// Golden outputs of the nft compiler, and its refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BulkheadError } from '../errors/index.js';
import {
  compileBaseTable, compileQubeAttach, compileQubeBlocked, compileQubeChain, compileQubeDetach,
  hostnamesOf, parseRule, ruleBodies, type QubeFirewallTarget,
} from './index.js';

const NOW = 1000;
const target: QubeFirewallTarget = {
  qubeName: 'work',
  qubeIPv4: '10.137.0.5',
  qubeIPv6: 'fd09:24ef:4179:0::a89:5',
  ifname: 'vif5',
  dnsServers: { virtual: ['10.139.1.1', '10.139.1.2', 'fd09:24ef:4179::a8b:1'] },
  resolved: new Map([['web.lab.test', ['192.0.2.10', '2001:db8:1::10', '192.0.2.10']], ['empty.lab.test', []]]),
};
const rules = (lines: string[]) => lines.map((l) => parseRule(l, { now: NOW }));

test('golden: qube chain', () => {
  const text = compileQubeChain(target, rules([
    'action=accept specialtarget=dns',
    'action=accept dsthost=10.1.2.3/24 proto=tcp dstports=80-443',
    'action=drop dsthost=web.lab.test',
    'action=accept proto=icmp icmptype=8',
    'action=drop dsthost=2001:db8::1/32 proto=udp',
    'action=accept expire=900 comment=expired already',
    'action=accept dsthost=empty.lab.test',
    'action=accept proto=udp dstports=5353',
    'action=accept proto=icmp',
    'action=accept',
  ]), { now: NOW, table: 'bhtest' });
  assert.equal(text, `add chain inet bhtest qube-work
flush chain inet bhtest qube-work
add rule inet bhtest qube-work ct original ip daddr { 10.139.1.1, 10.139.1.2 } meta l4proto { tcp, udp } th dport 53 accept comment "rule 0"
add rule inet bhtest qube-work ct original ip6 daddr fd09:24ef:4179::a8b:1 meta l4proto { tcp, udp } th dport 53 accept comment "rule 0"
add rule inet bhtest qube-work ip daddr 10.1.2.0/24 tcp dport 80-443 accept comment "rule 1"
add rule inet bhtest qube-work ip daddr 192.0.2.10 counter name "rejected" reject with icmpx admin-prohibited comment "rule 2"
add rule inet bhtest qube-work ip6 daddr 2001:db8:1::10 counter name "rejected" reject with icmpx admin-prohibited comment "rule 2"
add rule inet bhtest qube-work icmp type 8 accept comment "rule 3"
add rule inet bhtest qube-work icmpv6 type 8 accept comment "rule 3"
add rule inet bhtest qube-work ip6 daddr 2001:db8::/32 meta l4proto udp counter name "rejected" reject with icmpx admin-prohibited comment "rule 4"
add rule inet bhtest qube-work udp dport 5353 accept comment "rule 7"
add rule inet bhtest qube-work meta l4proto { icmp, ipv6-icmp } accept comment "rule 8"
add rule inet bhtest qube-work accept comment "rule 9"
add rule inet bhtest qube-work counter name "dropped" drop comment "implicit drop"
`);
});

test('golden: default table name, default rules, blocked and detach', () => {
  assert.equal(compileQubeChain(target, rules(['action=accept']), { now: NOW }), `add chain inet bulkhead qube-work
flush chain inet bulkhead qube-work
add rule inet bulkhead qube-work accept comment "rule 0"
add rule inet bulkhead qube-work counter name "dropped" drop comment "implicit drop"
`);
  assert.equal(compileQubeBlocked('work'), `add chain inet bulkhead qube-work
flush chain inet bulkhead qube-work
add rule inet bulkhead qube-work counter name "blocked" reject with icmpx admin-prohibited comment "blocked"
`);
  assert.equal(compileQubeDetach('work', 'vif5'), `delete element inet bulkhead firewall { "vif5" }
delete element inet bulkhead ingress { "vif5" }
delete element inet bulkhead qube_links { "vif5" }
flush chain inet bulkhead qube-work
delete chain inet bulkhead qube-work
flush chain inet bulkhead link-work
delete chain inet bulkhead link-work
`);
});

test('golden: attach = anti-spoofing chain + qube chain + map entries', () => {
  const text = compileQubeAttach({ ...target, qubeIPv6: null }, rules(['action=accept']), { now: NOW, table: 'bhtest' });
  assert.equal(text, `add chain inet bhtest link-work
flush chain inet bhtest link-work
add rule inet bhtest link-work ip saddr 10.137.0.5 return
add rule inet bhtest link-work ip6 saddr { ::, fe80::/10 } icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, mld-listener-report, mld2-listener-report } return
add rule inet bhtest link-work counter name "spoofed" drop
add chain inet bhtest qube-work
flush chain inet bhtest qube-work
add rule inet bhtest qube-work accept comment "rule 0"
add rule inet bhtest qube-work counter name "dropped" drop comment "implicit drop"
add element inet bhtest qube_links { "vif5" }
add element inet bhtest ingress { "vif5" : jump link-work }
add element inet bhtest firewall { "vif5" : jump qube-work }
`);
  assert.match(compileQubeAttach(target, [], { now: NOW }), /ip6 saddr fd09:24ef:4179::a89:5 return/);
});

test('base table replaces the previous one and holds the named counters', () => {
  const text = compileBaseTable({ table: 'bhtest' });
  assert.match(text, /^table inet bhtest\ndelete table inet bhtest\ntable inet bhtest \{\n/);
  for (const c of ['spoofed', 'isolated', 'rejected', 'dropped', 'blocked']) assert.match(text, new RegExp(`counter ${c} \\{ \\}`));
  assert.match(text, /policy drop;\n    ct state invalid drop\n    iifname @qube_links oifname @qube_links counter name "isolated" drop\n    ct state established,related accept\n    iifname vmap @firewall/);
});

test('an IPv4 destination never matches IPv6 and vice versa; dns follows the server family', () => {
  const only = (line: string, t: QubeFirewallTarget = target) => ruleBodies(parseRule(line), t);
  assert.deepEqual(only('action=accept dsthost=1.2.3.4 proto=icmp icmptype=0'), ['ip daddr 1.2.3.4 icmp type 0 accept']);
  assert.deepEqual(only('action=accept dsthost=::1 proto=icmp icmptype=128'), ['ip6 daddr ::1 icmpv6 type 128 accept']);
  const v4dns = { ...target, dnsServers: { virtual: ['10.139.1.1'] } };
  assert.deepEqual(only('action=accept specialtarget=dns proto=tcp', v4dns), ['ct original ip daddr 10.139.1.1 tcp dport 53 accept']);
  assert.deepEqual(only('action=accept specialtarget=dns', { ...target, dnsServers: { virtual: [] } }), []);
});

test('names to resolve; an unresolved name is refused', () => {
  assert.deepEqual(hostnamesOf(rules(['action=accept dsthost=a.lab', 'action=drop dsthost=a.lab', 'action=drop dsthost=b.lab', 'action=drop dsthost=1.2.3.4'])), ['a.lab', 'b.lab']);
  assert.throws(() => compileQubeChain(target, rules(['action=accept dsthost=other.lab.test']), { now: NOW }),
    (e: unknown) => e instanceof BulkheadError && e.code === 'ERR_FIREWALL' && /other\.lab\.test was not resolved/.test(e.message));
  const bad = { ...target, resolved: new Map([['x.lab', ['1.2.3.4; flush ruleset']]]) };
  assert.throws(() => compileQubeChain(bad, rules(['action=accept dsthost=x.lab']), { now: NOW }), /is not an IPv4 or IPv6 address/);
});

test('unsafe names and addresses never reach the nft text', () => {
  const isCode = (code: string) => (e: unknown) => e instanceof BulkheadError && e.code === code;
  assert.throws(() => compileQubeChain({ ...target, qubeName: 'a b' }, [], { now: NOW }), isCode('ERR_INVALID_NAME'));
  assert.throws(() => compileQubeChain({ ...target, qubeName: '9lives' }, [], { now: NOW }), isCode('ERR_INVALID_NAME'));
  assert.throws(() => compileQubeChain({ ...target, qubeName: 'x'.repeat(32) }, [], { now: NOW }), isCode('ERR_INVALID_NAME'));
  assert.throws(() => compileQubeChain(target, [], { now: NOW, table: 'bad table' }), isCode('ERR_INVALID_NAME'));
  assert.throws(() => compileQubeAttach({ ...target, ifname: 'vif"; flush' }, [], { now: NOW }), isCode('ERR_INVALID_NAME'));
  assert.throws(() => compileQubeAttach({ ...target, ifname: 'a-very-long-ifname' }, [], { now: NOW }), isCode('ERR_INVALID_NAME'));
  assert.throws(() => compileQubeAttach({ ...target, qubeIPv4: 'fd00::1' }, [], { now: NOW }), isCode('ERR_FIREWALL'));
  assert.throws(() => compileQubeAttach({ ...target, qubeIPv6: '10.0.0.1' }, [], { now: NOW }), isCode('ERR_FIREWALL'));
  assert.equal(compileQubeChain({ ...target, qubeName: 'A.b_c-9' }, [], { now: NOW }).split('\n')[0], 'add chain inet bulkhead qube-A.b_c-9');
});
