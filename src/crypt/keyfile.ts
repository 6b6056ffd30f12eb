// The key file of an encrypted qube: a random master key wrapped (AES-256-GCM) with a key derived from the passphrase (scrypt).
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { BulkheadError } from '../errors/index.js';
import { MAX_PASSPHRASE_BYTES } from '../contract/common.js';

/** fscrypt's master keys are 64 bytes (AES-256-XTS needs two 256-bit keys). */
export const MASTER_KEY_BYTES = 64;
/** Longest passphrase accepted (bytes of UTF-8): a bound on what the API carries and the KDF hashes. */
export { MAX_PASSPHRASE_BYTES };
export const KEY_FILE_FORMAT = 'bulkhead-volume-key';

/** scrypt parameters: N = 2^17, r = 8 takes 128 MiB and about half a second here, per start. */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}
export const DEFAULT_SCRYPT: ScryptParams = { N: 1 << 17, r: 8, p: 1 };

/** Canonical base64 of exactly `bytes` bytes (one spelling per value: Node's decoder ignores stray padding bits). */
const b64 = (bytes: number) =>
  z.string().refine((s) => {
    const b = Buffer.from(s, 'base64');
    return b.length === bytes && b.toString('base64') === s;
  }, `must be ${bytes} bytes of base64`);
const pow2 = z
  .number()
  .int()
  .refine((n) => n >= 1 << 14 && n <= 1 << 22 && (n & (n - 1)) === 0, 'must be a power of two from 2^14 to 2^22');

export const keyFileSchema = z
  .object({
    format: z.literal(KEY_FILE_FORMAT),
    version: z.literal(1),
    // Bounded: scrypt takes 128·N·r bytes, at most 1 GiB here, and p rounds of it.
    kdf: z
      .object({ name: z.literal('scrypt'), N: pow2, r: z.number().int().min(1).max(32), p: z.number().int().min(1).max(16), salt: b64(32) })
      .strict()
      .refine((k) => 128 * k.N * k.r <= 1 << 30, 'scrypt would need more than 1 GiB (128·N·r)'),
    cipher: z.literal('aes-256-gcm'),
    iv: b64(12),
    tag: b64(16),
    wrapped: b64(MASTER_KEY_BYTES),
    /** The fscrypt key identifier of the master key (what the kernel computes when the key is added). */
    keyId: z.string().regex(/^[0-9a-f]{32}$/),
  })
  .strict();
export type KeyFile = z.infer<typeof keyFileSchema>;

/** Parse a key file's text; one error naming the file and the field when it is not one. */
export function parseKeyFile(text: string, where: string): KeyFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new BulkheadError('ERR_CRYPT', `${where}: not a key file (${(e as Error).message})`);
  }
  const r = keyFileSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new BulkheadError('ERR_CRYPT', `${where}: ${i?.path.join('.') || 'key file'}: ${i?.message ?? 'invalid'}`);
  }
  return r.data;
}

/** Check a passphrase the user gave: not empty, bounded. */
export function checkPassphrase(untrusted: string, field = 'passphrase'): string {
  if (untrusted.length === 0) throw new BulkheadError('ERR_PASSPHRASE', `${field}: the passphrase is empty`);
  if (Buffer.byteLength(untrusted, 'utf8') > MAX_PASSPHRASE_BYTES)
    throw new BulkheadError('ERR_PASSPHRASE', `${field}: longer than ${MAX_PASSPHRASE_BYTES} bytes`);
  return untrusted;
}

/**
 * The fscrypt v2 key identifier of a master key, as the kernel computes it (fs/crypto/keyring.c):
 * HKDF-SHA512 with an all-zero salt, info "fscrypt\0" followed by context byte 1, 16 bytes.
 */
export function fscryptKeyId(masterKey: Buffer): string {
  const info = Buffer.concat([Buffer.from('fscrypt\0', 'latin1'), Buffer.from([1])]);
  return Buffer.from(hkdfSync('sha512', masterKey, Buffer.alloc(0), info, 16)).toString('hex');
}

function scrypt(pass: string, salt: Buffer, p: ScryptParams): Promise<Buffer> {
  // maxmem: scrypt needs 128·N·r bytes; Node refuses more than 32 MiB unless told.
  return new Promise((res, rej) =>
    scryptCb(pass.normalize('NFC'), salt, 32, { N: p.N, r: p.r, p: p.p, maxmem: 256 * p.N * p.r }, (e, k) => (e ? rej(e) : res(k))),
  );
}

/** What the tag authenticates besides the key: every field but iv, tag and the wrapped key, in a fixed order. */
function aad(f: Pick<KeyFile, 'format' | 'version' | 'kdf' | 'cipher' | 'keyId'>): Buffer {
  return Buffer.from(JSON.stringify([f.format, f.version, f.kdf.name, f.kdf.N, f.kdf.r, f.kdf.p, f.kdf.salt, f.cipher, f.keyId]));
}

/** Wrap `masterKey` under `passphrase` with a fresh salt and IV. */
export async function wrapMasterKey(masterKey: Buffer, passphrase: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<KeyFile> {
  if (masterKey.length !== MASTER_KEY_BYTES) throw new BulkheadError('ERR_CRYPT', `a master key is ${MASTER_KEY_BYTES} bytes`);
  checkPassphrase(passphrase);
  const salt = randomBytes(32);
  const iv = randomBytes(12);
  const kek = await scrypt(passphrase, salt, params);
  const head = {
    format: KEY_FILE_FORMAT,
    version: 1,
    kdf: { name: 'scrypt', ...params, salt: salt.toString('base64') },
    cipher: 'aes-256-gcm',
    keyId: fscryptKeyId(masterKey),
  } as const;
  try {
    const c = createCipheriv('aes-256-gcm', kek, iv);
    c.setAAD(aad(head));
    const wrapped = Buffer.concat([c.update(masterKey), c.final()]);
    return keyFileSchema.parse({ ...head, iv: iv.toString('base64'), tag: c.getAuthTag().toString('base64'), wrapped: wrapped.toString('base64') });
  } finally {
    kek.fill(0);
  }
}

/** A new random master key and its key file. The caller wipes the key (`fill(0)`) when done with it. */
export async function newMasterKey(passphrase: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<{ key: Buffer; file: KeyFile }> {
  const key = randomBytes(MASTER_KEY_BYTES);
  return { key, file: await wrapMasterKey(key, passphrase, params) };
}

/** The master key of a key file; a wrong passphrase (or a changed file) is ERR_PASSPHRASE and nothing else. */
export async function unwrapMasterKey(f: KeyFile, passphrase: string, what: string): Promise<Buffer> {
  checkPassphrase(passphrase);
  const kek = await scrypt(passphrase, Buffer.from(f.kdf.salt, 'base64'), f.kdf);
  let key: Buffer;
  try {
    const d = createDecipheriv('aes-256-gcm', kek, Buffer.from(f.iv, 'base64'));
    d.setAAD(aad(f));
    d.setAuthTag(Buffer.from(f.tag, 'base64'));
    key = Buffer.concat([d.update(Buffer.from(f.wrapped, 'base64')), d.final()]);
  } catch {
    throw new BulkheadError('ERR_PASSPHRASE', `${what}: wrong passphrase`);
  } finally {
    kek.fill(0);
  }
  // The tag already binds keyId; this catches a file written by something that computed it differently.
  const id = Buffer.from(fscryptKeyId(key), 'hex');
  if (!timingSafeEqual(id, Buffer.from(f.keyId, 'hex'))) {
    key.fill(0);
    throw new BulkheadError('ERR_CRYPT', `${what}: the key file's keyId does not match its key`);
  }
  return key;
}

/** Passphrase change: the same master key under a new passphrase (the data is not re-encrypted). */
export async function rewrapKeyFile(f: KeyFile, oldPassphrase: string, newPassphrase: string, what: string, params: ScryptParams = f.kdf): Promise<KeyFile> {
  checkPassphrase(newPassphrase, 'new passphrase');
  const key = await unwrapMasterKey(f, oldPassphrase, what);
  try {
    return await wrapMasterKey(key, newPassphrase, { N: params.N, r: params.r, p: params.p });
  } finally {
    key.fill(0);
  }
}
