// Tests of the scrypt file format: round trip, every flipped byte refused before decryption, cost bounds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveKey, deriveKeySync, kdfBytes, openScryptFile, parseScryptHeader } from './scrypt-file.js';
import { sealScryptFile } from './fixture.test-util.js';

test('a file sealed in the scrypt format opens with the right passphrase only', async () => {
  const f = sealScryptFile(Buffer.from('secret data'), 'pw', 4);
  const p = parseScryptHeader(f, 'f');
  assert.deepEqual([p.logN, p.r, p.p], [4, 8, 1]);
  assert.equal(openScryptFile(f, await deriveKey('pw', p), 'f').toString(), 'secret data');
  assert.deepEqual(deriveKeySync('pw', p), await deriveKey('pw', p));
  assert.throws(() => openScryptFile(f, Buffer.alloc(64), 'f'), /f: wrong passphrase/);
});

test('every flipped byte is refused before a byte of plaintext comes out', async () => {
  const f = sealScryptFile(Buffer.from('0123456789abcdef'), 'pw', 4);
  const dk = await deriveKey('pw', parseScryptHeader(f, 'f'));
  for (let i = 0; i < f.length; i++) {
    const g = Buffer.from(f);
    g[i] = g[i]! ^ 0x80;
    assert.throws(() => openScryptFile(g, dk, 'chunk'), /chunk: /, `byte ${i}`);
  }
  assert.throws(() => openScryptFile(f.subarray(0, f.length - 1), dk, 'chunk'), /does not authenticate/);
  assert.throws(() => openScryptFile(f.subarray(0, 100), dk, 'chunk'), /too short/);
});

test('parameters that would take too much memory or time are refused unread', () => {
  const f = sealScryptFile(Buffer.from('x'), 'pw', 4);
  const big = Buffer.from(f);
  big[7] = 30;
  assert.throws(() => parseScryptHeader(big, 'c'), /log2 N = 30 is out of range/);
  const wide = Buffer.from(f);
  wide.writeUInt32BE(1 << 24, 8);
  assert.throws(() => parseScryptHeader(wide, 'c'), /out of range|more than/);
  const heavy = Buffer.from(f);
  heavy[7] = 21;
  assert.throws(() => parseScryptHeader(heavy, 'c', 1 << 30), /need 20[0-9][0-9] MiB of memory, more than the 1024 MiB allowed/);
  assert.equal(kdfBytes({ logN: 14, r: 8, p: 1 }), 128 * 8 * 16384 + 1024 + 1024 * 1024);
  const magic = Buffer.from(f);
  magic[0] = 0x53;
  assert.throws(() => parseScryptHeader(magic, 'c'), /no "scrypt" magic/);
});
