// NAT table generator: DNS DNAT per virtual address, masquerade on the uplink, errors name the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileNatTable } from './nat.js';

test('sys-net: virtual DNS goes to the upstream resolver, uplink masqueraded', () => {
  const t = compileNatTable({ uplinkIf: 'eth0', virtualDns: ['10.139.1.1', '10.139.1.2'], upstreamDns: ['192.0.2.53'] });
  assert.match(t, /ip daddr 10\.139\.1\.1 udp dport 53 dnat to 192\.0\.2\.53/);
  assert.match(t, /ip daddr 10\.139\.1\.2 tcp dport 53 dnat to 192\.0\.2\.53/);
  assert.match(t, /oifname "eth0" masquerade/);
  assert.match(t, /^table ip bulkhead_nat\ndelete table ip bulkhead_nat\n/);
});

test('chained netvm: no DNAT, masquerade only', () => {
  const t = compileNatTable({ uplinkIf: 'eth0', virtualDns: ['10.139.1.1'], upstreamDns: null });
  assert.doesNotMatch(t, /dnat/);
  assert.match(t, /masquerade/);
});

test('bad input names the field', () => {
  assert.throws(() => compileNatTable({ uplinkIf: 'eth0', virtualDns: ['10.139.1.1'], upstreamDns: ['nope'] }), /upstreamDns\[0\]/);
  assert.throws(() => compileNatTable({ uplinkIf: 'bad if name!', virtualDns: [], upstreamDns: null }));
});
