// Tests of onion keys made ahead of time: address format, checksum, and tor's key-file layout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandSeed, newOnionKey, onionAddressOf } from './onion-key.js';

test("known vector: RFC 8032 test 1 public key (the address tor's own tests use)", () => {
  const pub = Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex');
  assert.equal(onionAddressOf(pub), '25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid.onion');
});

test('a new key: 56 base32 characters, tor file headers, clamped expanded secret', () => {
  const k = newOnionKey();
  assert.match(k.address, /^[a-z2-7]{55}d\.onion$/, 'version 3 ends in "d"');
  assert.equal(k.secretFile.length, 96);
  assert.equal(k.publicFile.length, 64);
  assert.equal(k.secretFile.subarray(0, 29).toString('latin1'), '== ed25519v1-secret: type0 ==');
  assert.equal(k.publicFile.subarray(0, 29).toString('latin1'), '== ed25519v1-public: type0 ==');
  assert.equal(onionAddressOf(k.publicFile.subarray(32)), k.address);
  const e = expandSeed(Buffer.alloc(32, 1));
  assert.equal((e[0] ?? 0) & 7, 0);
  assert.equal((e[31] ?? 0) & 0xc0, 0x40);
});
