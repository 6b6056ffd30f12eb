// bulkhead's backup format: the fixed binary header and the record framing, encoded and parsed with every size bounded (pure).
import { BulkheadError } from '../../errors/index.js';

export const MAGIC = Buffer.from('BHBACKUP', 'ascii');
export const FORMAT_VERSION = 1;
export const KDF_SCRYPT = 1;
export const AEAD_AES_256_GCM = 1;
export const COMPRESSION_ZSTD = 1;

/** Bytes before the header's MAC, the MAC itself, and the whole header. */
export const HEADER_BODY_BYTES = 76;
export const HEADER_MAC_BYTES = 32;
export const HEADER_BYTES = HEADER_BODY_BYTES + HEADER_MAC_BYTES;
export const BACKUP_ID_BYTES = 16;
export const SALT_BYTES = 32;
export const TAG_BYTES = 16;
export const NONCE_BYTES = 12;
export const RECORD_HEADER_BYTES = 12;

/** Bounds a reader enforces before it allocates or derives anything. */
export const LIMITS = {
  minLog2N: 10,
  maxLog2N: 20,
  maxR: 16,
  maxP: 4,
  /** scrypt needs 128·N·r bytes: a header may not make the reader allocate more than this. */
  maxScryptMemory: 1 << 30,
  minChunk: 64 * 1024,
  maxChunk: 16 * 1024 * 1024,
  /** The manifest (all records of kind manifest together). */
  maxManifestBytes: 16 * 1024 * 1024,
  maxEntries: 4096,
  maxChunksPerEntry: 0xffffffff,
} as const;

export interface ScryptParams {
  log2N: number;
  r: number;
  p: number;
}
/** OWASP's minimum for scrypt: N = 2^17, r = 8, p = 1 (128 MiB, about half a second here). */
export const DEFAULT_SCRYPT: ScryptParams = { log2N: 17, r: 8, p: 1 };
export const DEFAULT_CHUNK = 4 * 1024 * 1024;

export interface BackupHeader {
  version: number;
  scrypt: ScryptParams;
  chunkSize: number;
  backupId: Buffer;
  salt: Buffer;
  createdAtMs: number;
  /** HMAC-SHA256 of the 76 bytes before it under the header key (checked by crypto.ts). */
  mac: Buffer;
  /** The 76 bytes the MAC covers, as read. */
  body: Buffer;
}

const bad = (msg: string) => new BulkheadError('ERR_BACKUP', msg);

export function scryptMemory(p: ScryptParams): number {
  return 128 * 2 ** p.log2N * p.r;
}

export function checkScrypt(p: ScryptParams): void {
  if (!Number.isInteger(p.log2N) || p.log2N < LIMITS.minLog2N || p.log2N > LIMITS.maxLog2N)
    throw bad(`header: scrypt log2(N) ${p.log2N} is outside ${LIMITS.minLog2N}..${LIMITS.maxLog2N}`);
  if (!Number.isInteger(p.r) || p.r < 1 || p.r > LIMITS.maxR) throw bad(`header: scrypt r ${p.r} is outside 1..${LIMITS.maxR}`);
  if (!Number.isInteger(p.p) || p.p < 1 || p.p > LIMITS.maxP) throw bad(`header: scrypt p ${p.p} is outside 1..${LIMITS.maxP}`);
  if (scryptMemory(p) > LIMITS.maxScryptMemory) throw bad(`header: scrypt would need ${scryptMemory(p)} bytes of memory (at most ${LIMITS.maxScryptMemory})`);
}

export function checkChunkSize(n: number): void {
  if (!Number.isInteger(n) || n < LIMITS.minChunk || n > LIMITS.maxChunk)
    throw bad(`header: chunk size ${n} is outside ${LIMITS.minChunk}..${LIMITS.maxChunk}`);
}

/** The header's 76 bytes that its MAC covers. */
export function encodeHeaderBody(h: Omit<BackupHeader, 'mac' | 'body' | 'version'>): Buffer {
  checkScrypt(h.scrypt);
  checkChunkSize(h.chunkSize);
  if (h.backupId.length !== BACKUP_ID_BYTES || h.salt.length !== SALT_BYTES) throw bad('header: backup id or salt has the wrong length');
  const b = Buffer.alloc(HEADER_BODY_BYTES);
  MAGIC.copy(b, 0);
  b.writeUInt16BE(FORMAT_VERSION, 8);
  b.writeUInt8(KDF_SCRYPT, 10);
  b.writeUInt8(h.scrypt.log2N, 11);
  b.writeUInt8(h.scrypt.r, 12);
  b.writeUInt8(h.scrypt.p, 13);
  b.writeUInt8(AEAD_AES_256_GCM, 14);
  b.writeUInt8(COMPRESSION_ZSTD, 15);
  b.writeUInt32BE(h.chunkSize, 16);
  h.backupId.copy(b, 20);
  h.salt.copy(b, 36);
  b.writeBigUInt64BE(BigInt(h.createdAtMs), 68);
  return b;
}

/**
 * Parse the first HEADER_BYTES of a file. Every field is checked against its bound here, before
 * any key is derived: a crafted header can neither make the reader allocate much nor pick an
 * algorithm bulkhead does not know. The MAC is checked by the caller once the key exists.
 */
export function parseHeader(untrusted: Buffer): BackupHeader {
  if (untrusted.length < HEADER_BYTES)
    throw bad(`header: ${untrusted.length} bytes, a backup starts with ${HEADER_BYTES} (truncated, or not a bulkhead backup)`);
  if (!untrusted.subarray(0, 8).equals(MAGIC)) throw bad('header: no BHBACKUP magic (not a bulkhead backup)');
  const version = untrusted.readUInt16BE(8);
  if (version !== FORMAT_VERSION) throw bad(`header: format version ${version} is not supported (this bulkhead reads version ${FORMAT_VERSION})`);
  const kdf = untrusted.readUInt8(10);
  if (kdf !== KDF_SCRYPT) throw bad(`header: key derivation ${kdf} is unknown (1 = scrypt)`);
  const scrypt = { log2N: untrusted.readUInt8(11), r: untrusted.readUInt8(12), p: untrusted.readUInt8(13) };
  checkScrypt(scrypt);
  const aead = untrusted.readUInt8(14);
  if (aead !== AEAD_AES_256_GCM) throw bad(`header: cipher ${aead} is unknown (1 = AES-256-GCM)`);
  const comp = untrusted.readUInt8(15);
  if (comp !== COMPRESSION_ZSTD) throw bad(`header: compression ${comp} is unknown (1 = zstd)`);
  const chunkSize = untrusted.readUInt32BE(16);
  checkChunkSize(chunkSize);
  const created = untrusted.readBigUInt64BE(68);
  if (created > BigInt(Number.MAX_SAFE_INTEGER)) throw bad('header: creation time out of range');
  return {
    version,
    scrypt,
    chunkSize,
    backupId: Buffer.from(untrusted.subarray(20, 36)),
    salt: Buffer.from(untrusted.subarray(36, 68)),
    createdAtMs: Number(created),
    body: Buffer.from(untrusted.subarray(0, HEADER_BODY_BYTES)),
    mac: Buffer.from(untrusted.subarray(HEADER_BODY_BYTES, HEADER_BYTES)),
  };
}

/** What a record carries: the manifest, a chunk of an entry's compressed stream, or the trailer. */
export const RecordKind = { manifest: 1, data: 2, trailer: 3 } as const;
export type RecordKindName = keyof typeof RecordKind;
export const FLAG_LAST = 1;

export interface RecordHeader {
  kind: number;
  flags: number;
  /** Which manifest entry (0 for the manifest and the trailer). */
  entry: number;
  /** The chunk's index within its entry (or within the manifest). */
  index: number;
  /** Ciphertext bytes that follow, tag included. */
  length: number;
}

export function encodeRecordHeader(r: RecordHeader): Buffer {
  const b = Buffer.alloc(RECORD_HEADER_BYTES);
  b.writeUInt8(r.kind, 0);
  b.writeUInt8(r.flags, 1);
  b.writeUInt16BE(r.entry, 2);
  b.writeUInt32BE(r.index, 4);
  b.writeUInt32BE(r.length, 8);
  return b;
}

/** Parse a record's 12-byte header, bounding its length by the backup's chunk size. */
export function parseRecordHeader(untrusted: Buffer, chunkSize: number, at: number): RecordHeader {
  if (untrusted.length !== RECORD_HEADER_BYTES) throw bad(`record at byte ${at}: truncated record header`);
  const kind = untrusted.readUInt8(0);
  if (kind !== RecordKind.manifest && kind !== RecordKind.data && kind !== RecordKind.trailer) throw bad(`record at byte ${at}: unknown kind ${kind}`);
  const flags = untrusted.readUInt8(1);
  if ((flags & ~FLAG_LAST) !== 0) throw bad(`record at byte ${at}: unknown flags ${flags}`);
  const length = untrusted.readUInt32BE(8);
  if (length < TAG_BYTES || length > chunkSize + TAG_BYTES)
    throw bad(`record at byte ${at}: length ${length} is outside ${TAG_BYTES}..${chunkSize + TAG_BYTES}`);
  return { kind, flags, entry: untrusted.readUInt16BE(2), index: untrusted.readUInt32BE(4), length };
}

/** The record's position in the file: every record gets the next number, which is its nonce. */
export function nonceFor(seq: bigint): Buffer {
  const n = Buffer.alloc(NONCE_BYTES);
  n.writeBigUInt64BE(seq, 4);
  return n;
}

const AAD_LABEL = Buffer.from('bulkhead-backup-record-v1\0', 'ascii');

/**
 * Associated data of a record: the backup id and header MAC (so a record moved from another
 * backup fails), its sequence number in the file, kind, flags (the last-chunk flag: an entry cut
 * short fails), entry number, chunk index and the chunk's name from the manifest. The reader
 * builds it from what it expects next, never from what the record says.
 */
export function recordAad(a: {
  backupId: Buffer;
  headerMac: Buffer;
  seq: bigint;
  kind: number;
  flags: number;
  entry: number;
  index: number;
  name: string;
}): Buffer {
  const name = Buffer.from(a.name, 'utf8');
  if (name.length > 0xffff) throw bad('record name too long');
  const fixed = Buffer.alloc(8 + 1 + 1 + 4 + 4 + 2);
  fixed.writeBigUInt64BE(a.seq, 0);
  fixed.writeUInt8(a.kind, 8);
  fixed.writeUInt8(a.flags, 9);
  fixed.writeUInt32BE(a.entry, 10);
  fixed.writeUInt32BE(a.index, 14);
  fixed.writeUInt16BE(name.length, 18);
  return Buffer.concat([AAD_LABEL, a.backupId, a.headerMac, fixed, name]);
}

export const MANIFEST_NAME = 'manifest';
export const TRAILER_NAME = 'trailer';

/** The trailer's plaintext: how many records came before it and how many entries (binary, 12 bytes). */
export function encodeTrailer(t: { records: bigint; entries: number }): Buffer {
  const b = Buffer.alloc(12);
  b.writeBigUInt64BE(t.records, 0);
  b.writeUInt32BE(t.entries, 8);
  return b;
}

export function parseTrailer(plain: Buffer): { records: bigint; entries: number } {
  if (plain.length !== 12) throw bad(`trailer: ${plain.length} bytes, expected 12`);
  return { records: plain.readBigUInt64BE(0), entries: plain.readUInt32BE(8) };
}
