// Table tests of the rule parser against qvm-firewall semantics: valid forms, invalid forms with field and reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FirewallRuleError, formatRule, parseRule, parseRuleSet } from './index.js';

const NOW = 1_700_000_000;

// [input, canonical text]
const VALID: Array<[string, string]> = [
  ['action=accept', 'action=accept'],
  ['action=drop', 'action=drop'],
  ['  action=accept  ', 'action=accept'],
  ['action=accept dsthost=10.137.0.5', 'action=accept dsthost=10.137.0.5'],
  ['action=accept dsthost=10.137.0.5/32', 'action=accept dsthost=10.137.0.5'],
  ['action=accept dsthost=10.0.0.0/8', 'action=accept dsthost=10.0.0.0/8'],
  ['action=accept dsthost=10.1.2.3/24', 'action=accept dsthost=10.1.2.3/24'],
  ['action=accept dsthost=0.0.0.0/0', 'action=accept dsthost=0.0.0.0/0'],
  ['action=accept dsthost=2001:DB8:0:0::1', 'action=accept dsthost=2001:db8::1'],
  ['action=accept dsthost=2001:db8::/32', 'action=accept dsthost=2001:db8::/32'],
  ['action=accept dsthost=::/0', 'action=accept dsthost=::/0'],
  ['action=accept dsthost=::ffff:1.2.3.4', 'action=accept dsthost=::ffff:102:304'],
  ['action=accept dsthost=web.lab.test', 'action=accept dsthost=web.lab.test'],
  ['action=accept dsthost=a_b-c.lab', 'action=accept dsthost=a_b-c.lab'],
  ['action=accept dst4=192.168.1.0/24', 'action=accept dsthost=192.168.1.0/24'],
  ['action=accept dst6=fe80::1', 'action=accept dsthost=fe80::1'],
  ['action=accept dstname=example.lab.test', 'action=accept dsthost=example.lab.test'],
  ['action=accept proto=tcp', 'action=accept proto=tcp'],
  ['proto=udp action=drop dstports=53', 'action=drop proto=udp dstports=53'],
  ['action=accept proto=tcp dstports=1-65535', 'action=accept proto=tcp dstports=1-65535'],
  ['action=accept proto=tcp dstports=443-443', 'action=accept proto=tcp dstports=443'],
  ['action=accept proto=tcp dstports=0080', 'action=accept proto=tcp dstports=80'],
  ['action=accept proto=icmp', 'action=accept proto=icmp'],
  ['action=accept proto=icmp icmptype=0', 'action=accept proto=icmp icmptype=0'],
  ['action=accept proto=icmp icmptype=255', 'action=accept proto=icmp icmptype=255'],
  ['action=accept specialtarget=dns', 'action=accept specialtarget=dns'],
  ['action=accept specialtarget=dns proto=udp', 'action=accept proto=udp specialtarget=dns'],
  ['action=accept specialtarget=dns proto=tcp dstports=53', 'action=accept proto=tcp dstports=53 specialtarget=dns'],
  ['action=accept expire=1800000000', 'action=accept expire=1800000000'],
  ['action=accept expire=+60', `action=accept expire=${NOW + 60}`],
  ['action=accept comment=hello', 'action=accept comment=hello'],
  ['action=accept comment=may hold spaces, and [brackets]: ok.', 'action=accept comment=may hold spaces, and [brackets]: ok.'],
  ['action=accept comment=port 80 - ok', 'action=accept comment=port 80 - ok'],
  ['dsthost=1.2.3.4 action=drop proto=tcp dstports=22 comment=ssh', 'action=drop dsthost=1.2.3.4 proto=tcp dstports=22 comment=ssh'],
  ['action=accept\tproto=tcp', 'action=accept proto=tcp'],
];

for (const [input, canonical] of VALID) {
  test(`valid: ${input}`, () => {
    const r = parseRule(input, { now: NOW });
    assert.equal(formatRule(r), canonical);
    // canonical text parses back to the same rule
    assert.deepEqual(parseRule(formatRule(r), { now: NOW }), r);
  });
}

// [input, field, reason fragment]
const INVALID: Array<[string, string, string]> = [
  ['', 'rule', 'empty'],
  ['   ', 'rule', 'empty'],
  ['action=accept\nproto=tcp', 'rule', 'one line'],
  ['proto=tcp', 'action', 'missing'],
  ['comment=no action', 'action', 'missing'],
  ['action=allow', 'action', 'accept or drop'],
  ['action=ACCEPT', 'action', 'accept or drop'],
  ['action=', 'action', 'empty value'],
  ['action', 'action', 'key=value'],
  ['=accept', '=accept', 'key=value'],
  ['action=accept action=drop', 'action', 'twice'],
  ['action=accept dsthost=1.2.3.4 dst4=1.2.3.4', 'dst4', 'twice'],
  ['action=accept colour=red', 'colour', 'unknown option'],
  ['action=accept dstport=80', 'dstport', 'unknown option'],
  ['action=accept proto=sctp', 'proto', 'tcp, udp or icmp'],
  ['action=accept proto=TCP', 'proto', 'tcp, udp or icmp'],
  ['action=accept dsthost=1.2.3.4/33', 'dsthost', 'must be 0..32'],
  ['action=accept dsthost=2001:db8::/129', 'dsthost', 'must be 0..128'],
  ['action=accept dsthost=1.2.3.4/-1', 'dsthost', 'not a number'],
  ['action=accept dsthost=1.2.3.4/', 'dsthost', 'not a number'],
  ['action=accept dsthost=1.2.3.4/8/8', 'dsthost', 'not a number'],
  ['action=accept dsthost=web.lab/24', 'dsthost', 'needs an address'],
  ['action=accept dsthost=1.2.3', 'dsthost', 'not a valid IPv4'],
  ['action=accept dsthost=256.1.1.1', 'dsthost', 'not a valid IPv4'],
  ['action=accept dsthost=01.2.3.4', 'dsthost', 'not a valid IPv4'],
  ['action=accept dsthost=1:2:3:4:5:6:7:8:9', 'dsthost', 'not a valid IPv6'],
  ['action=accept dsthost=1::2::3', 'dsthost', 'not a valid IPv6'],
  ['action=accept dsthost=fe80::1%eth0', 'dsthost', 'not a valid IPv6'],
  ['action=accept dsthost=Web.Lab.Test', 'dsthost', 'not an address or a host name'],
  ['action=accept dsthost=a..b', 'dsthost', 'not an address or a host name'],
  ['action=accept dsthost=x;y', 'dsthost', 'not an address or a host name'],
  ['action=accept dst4=::1', 'dst4', 'IPv4'],
  ['action=accept dst6=1.2.3.4', 'dst6', 'IPv6'],
  ['action=accept dst4=web.lab', 'dst4', 'IPv4'],
  ['action=accept dstname=1.2.3.4', 'dstname', 'host name'],
  ['action=accept dstports=80', 'dstports', 'needs proto=tcp or proto=udp'],
  ['action=accept proto=icmp dstports=80', 'dstports', 'needs proto=tcp or proto=udp'],
  ['action=accept proto=tcp dstports=0', 'dstports', 'out of range'],
  ['action=accept proto=tcp dstports=65536', 'dstports', 'out of range'],
  ['action=accept proto=tcp dstports=100-99', 'dstports', 'reversed'],
  ['action=accept proto=tcp dstports=1-2-3', 'dstports', 'N or N-M'],
  ['action=accept proto=tcp dstports=http', 'dstports', 'not a port'],
  ['action=accept proto=tcp dstports=-5', 'dstports', 'not a port'],
  ['action=accept icmptype=8', 'icmptype', 'needs proto=icmp'],
  ['action=accept proto=tcp icmptype=8', 'icmptype', 'needs proto=icmp'],
  ['action=accept proto=icmp icmptype=256', 'icmptype', '0..255'],
  ['action=accept proto=icmp icmptype=echo', 'icmptype', '0..255'],
  ['action=accept specialtarget=ntp', 'specialtarget', 'only dns'],
  ['action=accept specialtarget=dns dsthost=1.1.1.1', 'specialtarget', 'remove dsthost'],
  ['action=accept specialtarget=dns proto=icmp', 'specialtarget', 'proto=icmp'],
  ['action=accept specialtarget=dns proto=udp dstports=54', 'specialtarget', 'port 53'],
  ['action=accept expire=soon', 'expire', 'unix seconds'],
  ['action=accept expire=-5', 'expire', 'unix seconds'],
  ['action=accept expire=+0', 'expire', 'at least 1'],
  ['action=accept expire=999999999999', 'expire', '9999'],
  ['action=accept comment=', 'comment', 'empty'],
  ['action=accept comment=semi"quote', 'comment', 'may hold only'],
  ['action=accept comment=a\tb', 'comment', 'may hold only'],
  ['action=accept comment=proto=tcp', 'comment', 'may hold only'],
  ['action=accept ' + 'x'.repeat(1100), 'rule', 'longer than'],
];

for (const [input, field, reason] of INVALID) {
  test(`invalid: ${JSON.stringify(input).slice(0, 70)} -> ${field}`, () => {
    assert.throws(
      () => parseRule(input, { now: NOW }),
      (e: unknown) => {
        assert.ok(e instanceof FirewallRuleError, `not a FirewallRuleError: ${String(e)}`);
        assert.equal(e.code, 'ERR_FIREWALL');
        assert.equal(e.field, field);
        assert.match(e.reason, new RegExp(reason.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
        assert.match(e.message, new RegExp(`firewall rule: ${field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
        return true;
      },
    );
  });
}

test('relative expire needs the current time', () => {
  assert.throws(
    () => parseRule('action=accept expire=+60'),
    (e: unknown) => e instanceof FirewallRuleError && e.field === 'expire',
  );
});

test('parseRuleSet numbers errors by line and skips blank and comment lines', () => {
  const rules = parseRuleSet(['# rules', 'action=accept proto=tcp dstports=80', '', 'action=drop']);
  assert.equal(rules.length, 2);
  assert.throws(
    () => parseRuleSet(['action=accept', '', 'action=maybe']),
    (e: unknown) => e instanceof FirewallRuleError && e.line === 3 && e.field === 'action' && /^line 3: /.test(e.message),
  );
});
