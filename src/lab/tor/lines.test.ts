// Tests of the lab identity lines: DirAuthority, certificate and relay fingerprints, the obfs4 bridge line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { certificateFingerprint, dirAuthorityLine, fillBridgeLine, parseFingerprint } from './lines.js';

const FP = 'A1C6F26613C822EA9775B5A79017FAF8392D12B2';
const V3 = '0123456789ABCDEF0123456789ABCDEF01234567';

test('DirAuthority line in the format tor 0.4.9 accepts', () => {
  assert.equal(
    dirAuthorityLine({ nick: 'auth1', address: '10.1.0.11', orPort: 5100, dirPort: 5200, v3ident: V3, fingerprint: FP }),
    `DirAuthority auth1 orport=5100 v3ident=${V3} 10.1.0.11:5200 ${FP}`,
  );
  assert.throws(() => dirAuthorityLine({ nick: 'a', address: '1.1.1.1', orPort: 1, dirPort: 2, v3ident: 'xyz', fingerprint: FP }), /v3ident/);
  assert.throws(() => dirAuthorityLine({ nick: 'a', address: '1.1.1.1', orPort: 1, dirPort: 2, v3ident: V3, fingerprint: FP.toLowerCase() }), /fingerprint/);
});

test('certificate fingerprint', () => {
  assert.equal(certificateFingerprint(`dir-key-certificate-version 3\nfingerprint ${V3.toLowerCase()}\ndir-key-published x\n`), V3);
  assert.throws(() => certificateFingerprint('dir-key-certificate-version 3\n', '/x/cert'), /\/x\/cert: no fingerprint/);
});

test('relay fingerprint from tor --list-fingerprint or the fingerprint file', () => {
  assert.equal(parseFingerprint('relay1 A1C6 F266 13C8 22EA 9775 B5A7 9017 FAF8 392D 12B2\n', 'relay1'), FP);
  assert.equal(parseFingerprint(`relay1 ${FP}\n`, 'relay1'), FP);
  assert.throws(() => parseFingerprint(`relay2 ${FP}\n`, 'relay1'), /no fingerprint for relay1/);
});

const TEMPLATE = `# obfs4 torrc client bridge line
#  <IP ADDRESS>  - The public IP address of your obfs4 bridge.

Bridge obfs4 <IP ADDRESS>:<PORT> <FINGERPRINT> cert=UFKft2Nw3y/bA9mfBQgr5ndu7xt4OUOy9laSCKxqzoGoFR80DrbYMuc5na0YYvDTLrMPAA iat-mode=0
`;

test("obfs4 bridge line filled from obfs4proxy's template", () => {
  assert.equal(
    fillBridgeLine(TEMPLATE, '10.1.0.31', 5400, FP),
    `obfs4 10.1.0.31:5400 ${FP} cert=UFKft2Nw3y/bA9mfBQgr5ndu7xt4OUOy9laSCKxqzoGoFR80DrbYMuc5na0YYvDTLrMPAA iat-mode=0`,
  );
  assert.throws(() => fillBridgeLine('# nothing here\n', '10.1.0.31', 5400, FP), /obfs4_bridgeline\.txt/);
  assert.throws(() => fillBridgeLine(TEMPLATE, '10.1.0.31', 5400, 'nope'), /bridge fingerprint/);
});
