// Table tests of Qubes' address plan: qube and disposable addresses, gateway, DNS, IPv4 helpers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressOf, dispIpv4, dispIpv6, formatIpv4, ipv4InCidr, parseIpv4, qubeIpv4, qubeIpv6, qubeLinkPlan, VIRTUAL_DNS4 } from './addresses.js';

test('qube addresses follow Qubes: 10.137.(qid>>8).(qid&0xff)', () => {
  const table: [number, string][] = [
    [1, '10.137.0.1'],
    [2, '10.137.0.2'],
    [17, '10.137.0.17'],
    [254, '10.137.0.254'],
    [256, '10.137.1.0'],
    [300, '10.137.1.44'],
    [65535, '10.137.255.255'],
  ];
  for (const [qid, ip] of table) assert.equal(qubeIpv4(qid), ip, `qid ${qid}`);
});

test('disposable addresses are 10.138.(dispid>>8).(dispid&0xff)', () => {
  assert.equal(dispIpv4(1), '10.138.0.1');
  assert.equal(dispIpv4(513), '10.138.2.1');
  assert.equal(addressOf({ dispid: 7, qid: 40 }), '10.138.0.7');
  assert.equal(addressOf({ qid: 40 }), '10.137.0.40');
});

test('IPv6 addresses use the Qubes prefix with a89/a8a and a hex id', () => {
  assert.equal(qubeIpv6(26), 'fd09:24ef:4179::a89:1a');
  assert.equal(dispIpv6(300), 'fd09:24ef:4179::a8a:12c');
});

test('ids out of range or not integers are refused with the field name', () => {
  for (const bad of [0, -1, 1.5, 65536, Number.NaN]) {
    assert.throws(
      () => qubeIpv4(bad),
      (e: Error & { code?: string }) => e.code === 'ERR_INVALID_VALUE' && /qid/.test(e.message),
    );
    assert.throws(() => dispIpv4(bad), /dispid/);
  }
});

test('a link plan: own /32, the netvm address as gateway, the virtual DNS pair', () => {
  const p = qubeLinkPlan({ qid: 12 }, { qid: 6 });
  assert.deepEqual(p, { address: '10.137.0.12', gateway: '10.137.0.6', netmask: '255.255.255.255', dns: ['10.139.1.1', '10.139.1.2'] });
  assert.deepEqual([...VIRTUAL_DNS4], ['10.139.1.1', '10.139.1.2']);
  assert.equal(qubeLinkPlan({ dispid: 3 }, { qid: 6 }).address, '10.138.0.3');
  assert.throws(() => qubeLinkPlan({ qid: 6 }, { qid: 6 }), /own netvm/);
});

test('IPv4 parse/format round trip and rejects malformed text', () => {
  for (const s of ['0.0.0.0', '10.137.0.1', '255.255.255.255', '192.0.2.53']) assert.equal(formatIpv4(parseIpv4(s) as number), s);
  for (const s of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.4 ', 'a.b.c.d', '1..2.3']) assert.equal(parseIpv4(s), undefined, s);
});

test('ipv4InCidr', () => {
  assert.equal(ipv4InCidr('10.137.3.4', '10.137.0.0/16'), true);
  assert.equal(ipv4InCidr('10.138.0.1', '10.137.0.0/16'), false);
  assert.equal(ipv4InCidr('203.0.113.9', '203.0.113.0/24'), true);
  assert.equal(ipv4InCidr('1.2.3.4', '0.0.0.0/0'), true);
  assert.equal(ipv4InCidr('1.2.3.4', '1.2.3.4/32'), true);
  assert.throws(() => ipv4InCidr('1.2.3.4', '1.2.3.0/33'), /prefix/);
  assert.throws(() => ipv4InCidr('x', '1.2.3.0/24'), /address/);
});
