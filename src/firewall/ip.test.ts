// IPv4/IPv6 parsing and formatting used by the rule parser and compiler.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIPv6, networkText, parseIPv4, parseIPv6 } from './ip.js';

test('IPv4 accepts dotted quads only', () => {
  assert.deepEqual(parseIPv4('10.137.0.5'), [10, 137, 0, 5]);
  for (const bad of ['1.2.3', '1.2.3.4.5', '256.0.0.0', '01.2.3.4', '1.2.3.-4', '1..2.3', ' 1.2.3.4', '0x1.2.3.4']) {
    assert.equal(parseIPv4(bad), null, bad);
  }
});

test('IPv6 forms and RFC 5952 output', () => {
  const cases: Array<[string, string]> = [
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['1:0:3:4:5:6:7:8', '1:0:3:4:5:6:7:8'],
    ['::ffff:10.0.0.1', '::ffff:a00:1'],
    ['fe80::1:2', 'fe80::1:2'],
  ];
  for (const [input, out] of cases) {
    const b = parseIPv6(input);
    assert.ok(b, input);
    assert.equal(formatIPv6(b), out, input);
  }
  for (const bad of [
    ':',
    ':::',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    '12345::',
    'g::1',
    '1.2.3.4::',
    '::1.2.3',
    '1:2:3:4:5:6:7::8:9',
    'fe80::1%1',
    '1:2:3:4:5:6:7:8::',
  ]) {
    assert.equal(parseIPv6(bad), null, bad);
  }
});

test('networkText masks host bits and omits full-length prefixes', () => {
  assert.equal(networkText({ family: 4, bytes: [10, 1, 2, 3], prefix: 24 }), '10.1.2.0/24');
  assert.equal(networkText({ family: 4, bytes: [10, 1, 2, 3], prefix: 32 }), '10.1.2.3');
  assert.equal(networkText({ family: 4, bytes: [255, 255, 255, 255], prefix: 0 }), '0.0.0.0/0');
  assert.equal(networkText({ family: 4, bytes: [10, 255, 2, 3], prefix: 9 }), '10.128.0.0/9');
  assert.equal(networkText({ family: 6, bytes: parseIPv6('2001:db8:ffff::1')!, prefix: 36 }), '2001:db8:f000::/36');
  assert.equal(networkText({ family: 6, bytes: parseIPv6('2001:db8::1')!, prefix: 128 }), '2001:db8::1');
});
