// The stored bridges are parsed again when read: a value written past `gateway bridges set` (through `features`) cannot reach the torrc.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { QubeRecord } from '../../model/index.js';
import { BRIDGES_FEATURE, storedBridges } from './bridges.js';

const FP = 'ABCDEF0123456789ABCDEF0123456789ABCDEF01';
const gw = (v?: string): QubeRecord => ({
  name: 'sys-whonix',
  uuid: 'u',
  qid: 3,
  klass: 'app',
  label: 'black',
  props: {},
  tags: [],
  createdAt: '',
  features: { gateway: 'tor', ...(v === undefined ? {} : { [BRIDGES_FEATURE]: v }) },
});

test('stored bridges: read back as torrc lines; a bad or injected line is refused naming the feature and line', () => {
  assert.deepEqual(storedBridges(gw()), []);
  assert.deepEqual(storedBridges(gw('')), []);
  assert.deepEqual(
    storedBridges(gw(`192.0.2.8:9001 ${FP}\nobfs4 192.0.2.7:443 ${FP} cert=abcd iat-mode=1`)).map((b) => b.line),
    [`192.0.2.8:9001 ${FP}`, `obfs4 192.0.2.7:443 ${FP} cert=abcd iat-mode=1`],
  );
  // "SocksPort 0.0.0.0:9050" as a line of its own: a torrc option, not a bridge.
  assert.throws(
    () => storedBridges(gw(`192.0.2.8:9001\nSocksPort 0.0.0.0:9050`)),
    (e: Error) => /^feature gateway\.bridges of 'sys-whonix', line 2: address: 'SocksPort' is not IPv4:PORT/.test(e.message),
  );
  assert.throws(
    () => storedBridges(gw(`192.0.2.8:9001 ${FP}\r`)),
    (e: Error) => /line 1: line: must not contain control/.test(e.message),
  );
});
