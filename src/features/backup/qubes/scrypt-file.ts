// The file format of Tarsnap's `scrypt` tool (version 0), which Qubes wraps every backup file in: checked, then opened with node:crypto.
import { createDecipheriv, createHash, createHmac, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';
import { fail } from './errors.js';

/**
 * Layout: "scrypt" | version 0 | log2 N | r (u32 BE) | p (u32 BE) | salt (32) |
 * SHA-256(bytes 0..47)[0..16] | HMAC-SHA256(bytes 0..63, key2) | AES-256-CTR(data, key1, counter 0) |
 * HMAC-SHA256(everything before, key2). key1‖key2 = scrypt(passphrase, salt, N, r, p, 64).
 */
export const SCRYPT_HEADER_BYTES = 96;
export const SCRYPT_TRAILER_BYTES = 32;
const MAGIC = Buffer.from('scrypt', 'ascii');

/**
 * Bounds on what a file may ask of the KDF (the scrypt tool's own decrypt also refuses beyond its
 * limits). The tool sizes N by the encrypting machine's memory and speed: 2^19 (512 MiB) on a
 * usual Qubes dom0, 2^21 (2 GiB) measured on this host; 4 GiB is the most accepted by default.
 */
export const MAX_LOG_N = 22;
export const MAX_KDF_BYTES = 4 * 1024 * 1024 * 1024;

export interface ScryptParams {
  logN: number;
  r: number;
  p: number;
  salt: Buffer;
}

/** Memory the KDF needs for these parameters (Node's crypto.scrypt counts 128·N·r, plus a margin). */
export function kdfBytes(p: Pick<ScryptParams, 'logN' | 'r' | 'p'>): number {
  return 128 * p.r * 2 ** p.logN + 128 * p.r * p.p + 1024 * 1024;
}

/** Read and check the header's fixed part (magic, version, parameter bounds, checksum). No key needed. */
export function parseScryptHeader(untrusted: Buffer, where: string, maxKdfBytes = MAX_KDF_BYTES): ScryptParams {
  if (untrusted.length < SCRYPT_HEADER_BYTES + SCRYPT_TRAILER_BYTES) fail(where, `too short for an scrypt file (${untrusted.length} bytes)`);
  if (!untrusted.subarray(0, 6).equals(MAGIC)) fail(where, 'is not an scrypt file (no "scrypt" magic)');
  if (untrusted[6] !== 0) fail(where, `scrypt file format version ${untrusted[6]} is not supported`);
  const logN = untrusted[7]!;
  const r = untrusted.readUInt32BE(8);
  const p = untrusted.readUInt32BE(12);
  if (logN < 1 || logN > MAX_LOG_N) fail(where, `scrypt parameter log2 N = ${logN} is out of range 1..${MAX_LOG_N}`);
  if (r < 1 || p < 1 || r * p >= 2 ** 30) fail(where, `scrypt parameters r = ${r}, p = ${p} are out of range`);
  if (kdfBytes({ logN, r, p }) > maxKdfBytes)
    fail(
      where,
      `scrypt parameters need ${Math.ceil(kdfBytes({ logN, r, p }) / 2 ** 20)} MiB of memory, more than the ${Math.floor(maxKdfBytes / 2 ** 20)} MiB allowed`,
    );
  const sum = createHash('sha256').update(untrusted.subarray(0, 48)).digest().subarray(0, 16);
  if (!timingSafeEqual(sum, untrusted.subarray(48, 64))) fail(where, 'scrypt header checksum does not match (damaged)');
  return { logN, r, p, salt: Buffer.from(untrusted.subarray(16, 48)) };
}

/** The 64-byte key of a file (memory-hard; runs in libuv's thread pool, so several files derive at once). */
export function deriveKey(passphrase: string, params: ScryptParams): Promise<Buffer> {
  const N = 2 ** params.logN;
  return new Promise((resolve, reject) => {
    scrypt(Buffer.from(passphrase, 'utf8'), params.salt, 64, { N, r: params.r, p: params.p, maxmem: kdfBytes(params) + 64 * 1024 * 1024 }, (err, dk) => {
      if (err) reject(err);
      else resolve(dk);
    });
  });
}

/** The same key, derived on the calling thread (a worker thread: it keeps libuv's pool free for the daemon's file work). */
export function deriveKeySync(passphrase: string, params: ScryptParams): Buffer {
  return scryptSync(Buffer.from(passphrase, 'utf8'), params.salt, 64, {
    N: 2 ** params.logN,
    r: params.r,
    p: params.p,
    maxmem: kdfBytes(params) + 64 * 1024 * 1024,
  });
}

/**
 * Verify a whole scrypt file against its key, then decrypt it. Both MACs are checked before a
 * byte of plaintext is made: the header's (a wrong passphrase) and the trailer's (any change).
 */
export function openScryptFile(untrusted: Buffer, dk: Buffer, where: string): Buffer {
  parseScryptHeader(untrusted, where, Infinity);
  const macKey = dk.subarray(32, 64);
  const headerMac = createHmac('sha256', macKey).update(untrusted.subarray(0, 64)).digest();
  if (!timingSafeEqual(headerMac, untrusted.subarray(64, 96)))
    fail(where, 'wrong passphrase (the scrypt header does not authenticate), or the file does not belong to this backup');
  const end = untrusted.length - SCRYPT_TRAILER_BYTES;
  const mac = createHmac('sha256', macKey).update(untrusted.subarray(0, end)).digest();
  if (!timingSafeEqual(mac, untrusted.subarray(end))) fail(where, 'its content does not authenticate (changed or truncated)');
  const d = createDecipheriv('aes-256-ctr', dk.subarray(0, 32), Buffer.alloc(16));
  return Buffer.concat([d.update(untrusted.subarray(SCRYPT_HEADER_BYTES, end)), d.final()]);
}
