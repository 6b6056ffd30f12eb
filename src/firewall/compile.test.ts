// Golden outputs of the nft compiler, and its refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BulkheadError } from '../errors/index.js';
import {
  compileBaseTable,
  compileDnsServers,
  compileQubeAttach,
  compileQubeBlocked,
  compileQubeChain,
  compileQubeDetach,
  hostnamesOf,
  parseRule,
  ruleBodies,
  type QubeFirewallTarget,
} from './index.js';

const NOW = 1000;
const target: QubeFirewallTarget = {
  qubeName: 'work',
  qubeIPv4: '10.137.0.5',
  qubeIPv6: 'fd09:24ef:4179:0::a89:5',
  ifname: 'vif5',
  dnsServers: { virtual: ['10.139.1.1', '10.139.1.2', 'fd09:24ef:4179::a8b:1'] },
  resolved: new Map([
    ['web.lab.test', ['192.0.2.10', '2001:db8:1::10', '192.0.2.10']],
    ['empty.lab.test', []],
  ]),
};
const rules = (lines: string[]) => lines.map((l) => parseRule(l, { now: NOW }));

test('golden: qube chain', () => {
  const text = compileQubeChain(
    target,
    rules([
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
    ]),
    { now: NOW, table: 'bhtest' },
  );
  assert.equal(
    text,
    `add chain inet bhtest qube-work
flush chain inet bhtest qube-work
add rule inet bhtest qube-work ct original ip daddr @dns4 meta l4proto . th dport @dns_l4 accept comment "rule 0"
add rule inet bhtest qube-work ct original ip6 daddr @dns6 meta l4proto . th dport @dns_l4 accept comment "rule 0"
add rule inet bhtest qube-work ip daddr 10.1.2.0/24 tcp dport 80-443 accept comment "rule 1"
add rule inet bhtest qube-work ip daddr 192.0.2.10 counter name "rejected" reject with icmpx admin-prohibited comment "rule 2"
add rule inet bhtest qube-work ip6 daddr 2001:db8:1::10 counter name "rejected" reject with icmpx admin-prohibited comment "rule 2"
add rule inet bhtest qube-work icmp type 8 accept comment "rule 3"
add rule inet bhtest qube-work icmpv6 type 8 accept comment "rule 3"
add rule inet bhtest qube-work ip6 daddr 2001:db8::/32 meta l4proto udp counter name "rejected" reject with icmpx admin-prohibited comment "rule 4"
add rule inet bhtest qube-work udp dport 5353 accept comment "rule 7"
add rule inet bhtest qube-work meta nfproto ipv4 meta l4proto icmp accept comment "rule 8"
add rule inet bhtest qube-work meta nfproto ipv6 meta l4proto ipv6-icmp accept comment "rule 8"
add rule inet bhtest qube-work accept comment "rule 9"
`,
  );
});

test('golden: default table name, default rules, blocked and detach', () => {
  assert.equal(
    compileQubeChain(target, rules(['action=accept']), { now: NOW }),
    `add chain inet bulkhead qube-work
flush chain inet bulkhead qube-work
add rule inet bulkhead qube-work accept comment "rule 0"
`,
  );
  assert.equal(
    compileQubeBlocked('work'),
    `add chain inet bulkhead qube-work
flush chain inet bulkhead qube-work
add rule inet bulkhead qube-work counter name "blocked" reject with icmpx admin-prohibited comment "blocked"
`,
  );
  assert.equal(
    compileQubeDetach(target),
    `delete element inet bulkhead qube_links { "vif5" }
delete element inet bulkhead qube_src6 { "vif5" . fd09:24ef:4179::a89:5 }
delete element inet bulkhead qube_src4 { "vif5" . 10.137.0.5 }
delete element inet bulkhead firewall { "vif5" }
flush chain inet bulkhead qube-work
delete chain inet bulkhead qube-work
`,
  );
});

test('golden: attach = qube chain + source addresses + map entry', () => {
  const text = compileQubeAttach({ ...target, qubeIPv6: null }, rules(['action=accept']), { now: NOW, table: 'bhtest' });
  assert.equal(
    text,
    `add chain inet bhtest qube-work
flush chain inet bhtest qube-work
add rule inet bhtest qube-work accept comment "rule 0"
add element inet bhtest firewall { "vif5" : jump qube-work }
add element inet bhtest qube_src4 { "vif5" . 10.137.0.5 }
add element inet bhtest qube_links { "vif5" }
`,
  );
  assert.match(compileQubeAttach(target, [], { now: NOW }), /add element inet bulkhead qube_src6 \{ "vif5" \. fd09:24ef:4179::a89:5 \}/);
  assert.match(compileQubeAttach(target, 'blocked', { now: NOW }), /qube-work counter name "blocked" reject with icmpx admin-prohibited/);
});

test('base table replaces the previous one and holds the named counters', () => {
  const text = compileBaseTable({ table: 'bhtest' });
  assert.match(text, /^table inet bhtest\ndelete table inet bhtest\ntable inet bhtest \{\n/);
  for (const c of ['spoofed', 'isolated', 'rejected', 'dropped', 'blocked']) assert.match(text, new RegExp(`counter ${c} \\{ \\}`));
  assert.match(
    text,
    /policy drop;\n    ct state invalid drop\n    iifname @qube_links oifname @qube_links counter name "isolated" drop\n    ct state established,related accept\n    iifname vmap @firewall\n    counter name "dropped" drop\n/,
  );
  assert.match(
    text,
    /policy accept;\n    iifname != @qube_links accept\n    iifname \. ip saddr @qube_src4 accept\n    iifname \. ip6 saddr @qube_src6 accept\n/,
  );
  assert.match(text, /set dns4 \{ type ipv4_addr; \}/);
  const withDns = compileBaseTable({ dnsServers: { virtual: ['10.139.1.1', '10.139.1.2', 'fd09::1', '10.139.1.1'] } });
  assert.match(withDns, /set dns4 \{ type ipv4_addr; elements = \{ 10\.139\.1\.1, 10\.139\.1\.2 \}; \}/);
  assert.match(withDns, /set dns6 \{ type ipv6_addr; elements = \{ fd09::1 \}; \}/);
  assert.equal(
    compileDnsServers({ virtual: ['10.139.1.1'] }),
    `flush set inet bulkhead dns4
flush set inet bulkhead dns6
add element inet bulkhead dns4 { 10.139.1.1 }
`,
  );
});

test('an IPv4 destination never matches IPv6 and vice versa; dns follows the server family', () => {
  const only = (line: string, t: QubeFirewallTarget = target) => ruleBodies(parseRule(line), t);
  assert.deepEqual(only('action=accept dsthost=1.2.3.4 proto=icmp icmptype=0'), ['ip daddr 1.2.3.4 icmp type 0 accept']);
  assert.deepEqual(only('action=accept dsthost=::1 proto=icmp icmptype=128'), ['ip6 daddr ::1 icmpv6 type 128 accept']);
  const v4dns = { ...target, dnsServers: { virtual: ['10.139.1.1'] } };
  assert.deepEqual(only('action=accept specialtarget=dns proto=tcp', v4dns), ['ct original ip daddr @dns4 tcp dport 53 accept']);
  assert.deepEqual(only('action=accept proto=icmp'), ['meta nfproto ipv4 meta l4proto icmp accept', 'meta nfproto ipv6 meta l4proto ipv6-icmp accept']);
  assert.deepEqual(only('action=accept proto=icmp dsthost=10.0.0.0/8'), ['ip daddr 10.0.0.0/8 meta l4proto icmp accept']);
  const many = { ...target, resolved: new Map([['m.lab', Array.from({ length: 9 }, (_, i) => `192.0.2.${i}`)]]) };
  assert.deepEqual(only('action=drop dsthost=m.lab', many), [
    `ip daddr { ${Array.from({ length: 9 }, (_, i) => `192.0.2.${i}`).join(', ')} } counter name "rejected" reject with icmpx admin-prohibited`,
  ]);
  assert.deepEqual(only('action=accept specialtarget=dns', { ...target, dnsServers: { virtual: [] } }), []);
});

test('names to resolve; an unresolved name is refused', () => {
  assert.deepEqual(
    hostnamesOf(rules(['action=accept dsthost=a.lab', 'action=drop dsthost=a.lab', 'action=drop dsthost=b.lab', 'action=drop dsthost=1.2.3.4'])),
    ['a.lab', 'b.lab'],
  );
  assert.throws(
    () => compileQubeChain(target, rules(['action=accept dsthost=other.lab.test']), { now: NOW }),
    (e: unknown) => e instanceof BulkheadError && e.code === 'ERR_FIREWALL' && /other\.lab\.test was not resolved/.test(e.message),
  );
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
