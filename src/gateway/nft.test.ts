// Table tests of the gateway, lockdown and workstation rulesets: structure, agreement with the plan, errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  gatewayRuleset,
  lockdownRuleset,
  workstationRuleset,
  planGateway,
  gatewayRouting,
  listenerOf,
  GATEWAY_DROP_COUNTERS,
  WORKSTATION_DROP_COUNTERS,
  type GatewayInput,
} from './index.js';
import { labInput } from './fixtures.test-util.js';

/** The body of one chain of a generated ruleset. */
function chain(text: string, name: string): string[] {
  const start = text.indexOf(`\tchain ${name} {`);
  assert.ok(start >= 0, `chain ${name} exists`);
  const end = text.indexOf('\n\t}', start);
  return text
    .slice(start, end)
    .split('\n')
    .slice(1)
    .map((l) => l.trim());
}

test('gateway ruleset: atomic replace, policies, one counter per drop reason', () => {
  const r = gatewayRuleset(labInput(2));
  assert.ok(r.startsWith('table inet bulkhead_gw\ndelete table inet bulkhead_gw\ntable inet bulkhead_gw {\n'));
  for (const c of GATEWAY_DROP_COUNTERS) {
    assert.ok(r.includes(`\tcounter ${c} { }`), `declares ${c}`);
    assert.ok(r.includes(`counter name ${c} drop`), `uses ${c}`);
  }
  for (const c of ['input', 'forward', 'output']) assert.ok(chain(r, c)[0]!.endsWith('policy drop;'), `${c} policy drop`);
  assert.deepEqual(chain(r, 'forward').slice(1), ['meta nfproto ipv6 counter name drop_ipv6 drop', 'counter name drop_forward drop']);
  // every drop rule names its counter: no anonymous drops
  for (const l of r.split('\n')) if (/\bdrop$/.test(l.trim()) && !l.includes('policy')) assert.match(l, /counter name \w+ drop$/);
  assert.equal(gatewayRuleset(labInput(1, { tableName: 'bht1_gw' })).split('\n')[0], 'table inet bht1_gw');
});

test('each link is redirected only to its own listeners, and accepted only there', () => {
  const input = labInput(3);
  const plan = planGateway(input);
  const r = gatewayRuleset(input);
  for (const w of plan.workstations) {
    const nat = chain(r, `nat_ws${w.index}`);
    const socks = w.listeners.filter((l) => l.kind === 'socks' || l.kind === 'control');
    assert.equal(
      nat[0],
      `ip daddr 10.152.152.10 tcp dport { ${socks.map((l) => l.facingPort).join(', ')} } dnat ip to 10.152.152.10 : tcp dport map { ${socks.map((l) => `${l.facingPort} : ${l.port}`).join(', ')} }`,
    );
    assert.equal(nat[1], `udp dport 53 dnat ip to 10.152.152.10:${listenerOf(w, 53).port}`);
    assert.equal(nat[2], `tcp flags & (fin|syn|rst|ack) == syn dnat ip to 10.152.152.10:${listenerOf(w, 9040).port}`);
    const inp = chain(r, `in_ws${w.index}`);
    const own = new Set(w.listeners.map((l) => l.port));
    const accepted = [...inp.join(' ').matchAll(/\b(2\d{4})\b/g)].map((m) => Number(m[1]));
    assert.ok(accepted.length === own.size && accepted.every((p) => own.has(p)), `${w.name} accepts exactly its own ports`);
    assert.ok(inp.every((l) => !l.endsWith('accept') || l.startsWith('ct status dnat ip daddr 10.152.152.10 ')));
  }
  const pre = chain(r, 'nat_pre');
  assert.equal(pre[1], 'iifname vmap { "vif0" : jump nat_ws0, "vif1" : jump nat_ws1, "vif2" : jump nat_ws2 }');
  const raw = chain(r, 'raw_pre');
  assert.ok(raw.includes('iifname "vif2" ip saddr != 10.152.152.11 counter name drop_spoofed drop'));
  assert.ok(chain(r, 'mark_pre').includes('iifname "vif2" ct mark set 3'));
});

test('output: only tor opens connections on the uplink; workstations get replies only', () => {
  const out = chain(gatewayRuleset(labInput(2, { torUid: 107, uplink: 'up0' })), 'output');
  const accepts = out.filter((l) => l.endsWith('accept'));
  assert.deepEqual(accepts, [
    'oif lo accept',
    'oifname "up0" meta skuid 107 accept',
    'oifname "up0" ct state established ct direction original accept',
    'ct mark 1 ip saddr 10.152.152.10 ip daddr 10.152.152.11 ct state established,related accept',
    'ct mark 2 ip saddr 10.152.152.10 ip daddr 10.152.152.11 ct state established,related accept',
  ]);
  assert.equal(out.at(-1), 'counter name drop_output drop');
  // After routing, a marked reply may leave only by its own link, and nothing for a workstation by the uplink.
  const post = chain(gatewayRuleset(labInput(2, { torUid: 107, uplink: 'up0' })), 'post');
  assert.deepEqual(
    post.filter((l) => l.endsWith('drop')),
    [
      'ct mark 1 oifname != "vif0" counter name drop_output drop',
      'ct mark 2 oifname != "vif1" counter name drop_output drop',
      'oifname "up0" ip daddr 10.152.152.11 counter name drop_output drop',
    ],
  );
  // tor crashes on DNS datagrams shorter than a DNS header: they never reach it.
  const raw = chain(gatewayRuleset(labInput(1, { uplink: 'up0' })), 'raw_pre');
  assert.ok(raw.includes('iifname "vif0" udp dport 53 udp length < 20 counter name drop_ws_udp drop'));
  const inp = chain(gatewayRuleset(labInput(1, { uplink: 'up0' })), 'input');
  assert.ok(inp.indexOf('iifname "up0" ct state established,related accept') < inp.indexOf('iifname "up0" counter name drop_uplink_in drop'));
});

test('routing plan: one table and one fwmark rule per link', () => {
  const cmds = gatewayRouting(planGateway(labInput(2))).commands;
  assert.deepEqual(cmds, [
    ['route', 'replace', '10.152.152.11/32', 'dev', 'vif0', 'src', '10.152.152.10', 'table', '101'],
    ['rule', 'add', 'fwmark', '1', 'lookup', '101', 'priority', '101'],
    ['route', 'replace', '10.152.152.11/32', 'dev', 'vif1', 'src', '10.152.152.10', 'table', '102'],
    ['rule', 'add', 'fwmark', '2', 'lookup', '102', 'priority', '102'],
  ]);
});

test('lockdown: every hook drops everything but loopback, ahead of other tables', () => {
  const r = lockdownRuleset('bht_lock');
  assert.ok(r.startsWith('table inet bht_lock\ndelete table inet bht_lock\n'));
  assert.deepEqual(chain(r, 'forward'), ['type filter hook forward priority -400; policy drop;', 'counter name lockdown_drop drop']);
  assert.deepEqual(chain(r, 'input').slice(1), ['iif lo accept', 'counter name lockdown_drop drop']);
  assert.deepEqual(chain(r, 'output').slice(1), ['oif lo accept', 'counter name lockdown_drop drop']);
  assert.doesNotMatch(r, /iifname|oifname|\d+\.\d+\.\d+\.\d+/);
});

test('workstation: only TCP and DNS to the gateway leave; SOCKS-only variant', () => {
  const input = { ifname: 'eth0', gatewayAddr: '10.152.152.10', workstationAddr: '10.152.152.11' };
  const r = workstationRuleset(input);
  for (const c of WORKSTATION_DROP_COUNTERS) assert.ok(r.includes(`\tcounter ${c} { }`));
  assert.deepEqual(
    chain(r, 'output').filter((l) => l.endsWith('accept')),
    [
      'oif lo accept',
      'oifname "eth0" ip saddr 10.152.152.11 meta l4proto tcp accept',
      'oifname "eth0" ip saddr 10.152.152.11 ip daddr 10.152.152.10 udp dport 53 accept',
    ],
  );
  const s = workstationRuleset({ ...input, transparentProxy: false });
  assert.ok(chain(s, 'output').includes('oifname "eth0" ip saddr 10.152.152.11 ip daddr 10.152.152.10 meta l4proto tcp accept'));
  assert.throws(() => workstationRuleset({ ...input, gatewayAddr: 'gw' }), /^Error: gatewayAddr|gatewayAddr: 'gw'/);
  assert.throws(() => workstationRuleset({ ...input, ifname: 'eth0"; flush ruleset' }), /ifname/);
});

test('gateway ruleset errors name the field', () => {
  const cases: [Partial<GatewayInput>, RegExp][] = [
    [{ torUid: -1 }, /^torUid: must be a numeric uid/],
    [{ torUid: 1.5 }, /^torUid/],
    [{ uplink: 'eth0 accept' }, /^uplink/],
    [{ tableName: 'x; flush ruleset' }, /^tableName/],
  ];
  for (const [patch, re] of cases)
    assert.throws(
      () => gatewayRuleset(labInput(1, patch)),
      (e: Error) => re.test(e.message),
      re.source,
    );
});

test('workstations whose names differ only in - and _ get separate chains', () => {
  const input = labInput(2, { uplink: 'up0' });
  input.workstations[0]!.name = 'anon-1';
  input.workstations[1]!.name = 'anon_1';
  const text = gatewayRuleset(input);
  assert.match(text, /chain nat_ws0 \{/);
  assert.match(text, /chain nat_ws1 \{/);
  assert.equal((text.match(/chain nat_ws\d+ \{/g) ?? []).length, 2);
});
