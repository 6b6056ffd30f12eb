// The key file: wrap/unwrap, wrong passphrases, tampering, passphrase change, the kernel's key identifier, invalid files and a fuzzer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BulkheadError } from '../errors/index.js';
import { prng } from '../../test/support/prng.js';
import { checkPassphrase, fscryptKeyId, newMasterKey, parseKeyFile, rewrapKeyFile, unwrapMasterKey, wrapMasterKey, type KeyFile } from './keyfile.js';

// Small scrypt cost for the tests (the format's minimum); the default is 2^17.
const FAST = { N: 1 << 14, r: 8, p: 1 };
const code = (c: string) => (e: unknown) => e instanceof BulkheadError && e.code === c;

test('the key identifier is the one the kernel computes (bh-fscrypt add of bytes 0..63 printed it)', () => {
  assert.equal(fscryptKeyId(Buffer.from(Array.from({ length: 64 }, (_, i) => i))), '8699c2c53707405da5aba5ae4d8583c0');
});

test('a wrapped key comes back with the right passphrase only', async () => {
  const { key, file } = await newMasterKey('correct horse', FAST);
  assert.equal(key.length, 64);
  assert.equal(file.keyId, fscryptKeyId(key));
  assert.ok(!JSON.stringify(file).includes(key.toString('base64')), 'the key is not in the file in the clear');
  assert.deepEqual(await unwrapMasterKey(file, 'correct horse', 'q'), key);
  await assert.rejects(unwrapMasterKey(file, 'correct horsE', 'q'), code('ERR_PASSPHRASE'));
  await assert.rejects(unwrapMasterKey(file, '', 'q'), code('ERR_PASSPHRASE'));
});

test('every field is authenticated: a changed salt, cost, iv, tag, wrapped key or key id fails as a wrong passphrase', async () => {
  const { file } = await newMasterKey('pw', FAST);
  const flip = (b64: string) => {
    const b = Buffer.from(b64, 'base64');
    b[0] = (b[0] as number) ^ 1;
    return b.toString('base64');
  };
  const changed: KeyFile[] = [
    { ...file, kdf: { ...file.kdf, salt: flip(file.kdf.salt) } },
    { ...file, kdf: { ...file.kdf, N: 1 << 15 } },
    { ...file, kdf: { ...file.kdf, p: 2 } },
    { ...file, iv: flip(file.iv) },
    { ...file, tag: flip(file.tag) },
    { ...file, wrapped: flip(file.wrapped) },
    { ...file, keyId: (file.keyId[0] === '0' ? '1' : '0') + file.keyId.slice(1) },
  ];
  for (const f of changed) await assert.rejects(unwrapMasterKey(f, 'pw', 'q'), code('ERR_PASSPHRASE'), JSON.stringify(f));
});

test('a passphrase change keeps the master key; the old passphrase stops working', async () => {
  const { key, file } = await newMasterKey('old', FAST);
  const next = await rewrapKeyFile(file, 'old', 'new', 'q');
  assert.equal(next.keyId, file.keyId);
  assert.notEqual(next.kdf.salt, file.kdf.salt, 'a fresh salt');
  assert.deepEqual(await unwrapMasterKey(next, 'new', 'q'), key);
  await assert.rejects(unwrapMasterKey(next, 'old', 'q'), code('ERR_PASSPHRASE'));
  await assert.rejects(rewrapKeyFile(file, 'wrong', 'new', 'q'), code('ERR_PASSPHRASE'));
  await assert.rejects(rewrapKeyFile(file, 'old', '', 'q'), code('ERR_PASSPHRASE'));
});

test('passphrases: empty and over-long ones are refused, Unicode forms are the same passphrase', async () => {
  assert.throws(() => checkPassphrase(''), /empty/);
  assert.throws(() => checkPassphrase('é'.repeat(600)), /longer than 1024 bytes/);
  const { key, file } = await wrapMasterKey(Buffer.alloc(64, 7), 'caf\u00e9', FAST).then((f) => ({ key: Buffer.alloc(64, 7), file: f }));
  assert.deepEqual(await unwrapMasterKey(file, 'cafe\u0301', 'q'), key, 'NFC and NFD spellings unlock alike');
  await assert.rejects(wrapMasterKey(Buffer.alloc(32), 'pw', FAST), code('ERR_CRYPT'));
});

test('invalid key files: one ERR_CRYPT naming the file and the field', async () => {
  const { file } = await newMasterKey('pw', FAST);
  const ok = JSON.stringify(file);
  const cases: [string, RegExp][] = [
    ['not json', /k\.json: not a key file/],
    ['[]', /k\.json: key file/],
    [JSON.stringify({ ...file, format: 'other' }), /format/],
    [JSON.stringify({ ...file, version: 2 }), /version/],
    [JSON.stringify({ ...file, extra: 1 }), /k\.json/],
    [JSON.stringify({ ...file, kdf: { ...file.kdf, N: 3000 } }), /kdf\.N: must be a power of two/],
    [JSON.stringify({ ...file, kdf: { ...file.kdf, N: 1 << 22, r: 32 } }), /kdf: scrypt would need more than 1 GiB/],
    [JSON.stringify({ ...file, kdf: { ...file.kdf, name: 'argon2id' } }), /kdf\.name/],
    [JSON.stringify({ ...file, iv: 'AAAA' }), /iv: must be 12 bytes/],
    [JSON.stringify({ ...file, wrapped: file.wrapped.slice(8) }), /wrapped: must be 64 bytes/],
    [JSON.stringify({ ...file, keyId: 'XYZ' }), /keyId/],
    [JSON.stringify({ ...file, cipher: 'aes-128-gcm' }), /cipher/],
  ];
  assert.deepEqual(parseKeyFile(ok, 'k.json'), file);
  for (const [text, msg] of cases)
    assert.throws(
      () => parseKeyFile(text, 'k.json'),
      (e: unknown) => code('ERR_CRYPT')(e) && msg.test((e as Error).message),
      text,
    );
});

test('fuzz: a mutated key file parses or fails with ERR_CRYPT, never anything else; a parsed mutant never unwraps with a changed field', async () => {
  const { file } = await newMasterKey('pw', FAST);
  const text = JSON.stringify(file);
  const rand = prng(0xc0ffee);
  const pieces = ['"', '{', '}', ',', ':', '0', '1e9', '-1', 'null', '[]', '"A=="', '\\u0000', 'é', ' '];
  let parsed = 0;
  for (let i = 0; i < 1000; i++) {
    let t = text;
    for (let k = 0; k < 1 + Math.floor(rand() * 3); k++) {
      const at = Math.floor(rand() * t.length);
      const op = Math.floor(rand() * 3);
      const piece = pieces[Math.floor(rand() * pieces.length)] as string;
      t =
        op === 0
          ? t.slice(0, at) + t.slice(at + 1)
          : op === 1
            ? t.slice(0, at) + piece + t.slice(at)
            : t.slice(0, at) + String.fromCharCode(32 + Math.floor(rand() * 90)) + t.slice(at + 1);
    }
    let f: KeyFile;
    try {
      f = parseKeyFile(t, 'k.json');
    } catch (e) {
      assert.ok(code('ERR_CRYPT')(e), `unexpected ${String(e)} for ${t}`);
      continue;
    }
    parsed++;
    if (JSON.stringify(f) !== text && f.kdf.N === file.kdf.N && f.kdf.r === file.kdf.r && f.kdf.p === file.kdf.p) {
      await assert.rejects(unwrapMasterKey(f, 'pw', 'q'), code('ERR_PASSPHRASE'), t);
    }
  }
  assert.ok(parsed > 0, 'some mutants still parse (whitespace, equivalent JSON)');
});
