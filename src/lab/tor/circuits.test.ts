// Tests of the circuit-status and stream-status parsers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCircuitStatus, parseStreamStatus } from './circuits.js';

const A = 'A1C6F26613C822EA9775B5A79017FAF8392D12B2';
const B = '572C1A632598C4C10F9A30A0C684CA3C194E11D3';

test('built circuits with paths, purposes and SOCKS usernames', () => {
  const c = parseCircuitStatus(
    [
      `7 BUILT $${A}~relay1,$${B}~auth2 BUILD_FLAGS=NEED_CAPACITY PURPOSE=GENERAL TIME_CREATED=2026-11-22T05:00:00.000000 SOCKS_USERNAME="user a" SOCKS_PASSWORD="p\\"w"`,
      `8 EXTENDED $${B}=auth2 PURPOSE=HS_CLIENT_REND`,
      '9 LAUNCHED BUILD_FLAGS=IS_INTERNAL PURPOSE=GENERAL',
      '',
    ].join('\n'),
  );
  assert.equal(c.length, 3);
  assert.deepEqual(c[0]?.path, [
    { fingerprint: A, nick: 'relay1' },
    { fingerprint: B, nick: 'auth2' },
  ]);
  assert.equal(c[0]?.status, 'BUILT');
  assert.equal(c[0]?.purpose, 'GENERAL');
  assert.equal(c[0]?.fields.SOCKS_USERNAME, 'user a');
  assert.equal(c[0]?.fields.SOCKS_PASSWORD, 'p"w');
  assert.deepEqual(c[1]?.path, [{ fingerprint: B, nick: 'auth2' }]);
  assert.deepEqual(c[2]?.path, []);
  assert.equal(c[2]?.fields.BUILD_FLAGS, 'IS_INTERNAL');
});

test('stream-status lines', () => {
  assert.deepEqual(parseStreamStatus('12 SUCCEEDED 7 web.lab.test:80\n13 SENTCONNECT 8 abc.onion:80\n'), [
    { id: '12', status: 'SUCCEEDED', circuitId: '7', target: 'web.lab.test:80' },
    { id: '13', status: 'SENTCONNECT', circuitId: '8', target: 'abc.onion:80' },
  ]);
  assert.deepEqual(parseStreamStatus(''), []);
});
