// The file-copy wire layout (Qubes' qfile format, little-endian): headers, result and constants.

/** Size of a file header: namelen u32, mode u32, filelen u64, atime, atime_nsec, mtime, mtime_nsec u32. */
export const HEADER_SIZE = 32;
/** Size of the result: error u32, pad u32, crc32 u64; then last_namelen u32 and the name. */
export const RESULT_SIZE = 16;
/** Longest name or symlink target, in bytes, the trailing NUL of a name included. */
export const MAX_PATH_LENGTH = 16384;

export const S_IFMT = 0o170000;
export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;
export const S_IFLNK = 0o120000;

/** Linux errno values the receiver reports (and Qubes' special "sender ended early" code). */
export const Errno = {
  OK: 0,
  ENOENT: 2,
  EEXIST: 17,
  EINVAL: 22,
  ENAMETOOLONG: 36,
  EILSEQ: 84,
  EREMOTEIO: 121,
  EDQUOT: 122,
  LEGAL_EOF: 31415926,
} as const;

export interface FileHeader {
  namelen: number;
  mode: number;
  filelen: bigint;
  atime: number;
  atimeNsec: number;
  mtime: number;
  mtimeNsec: number;
}

export function encodeHeader(h: FileHeader): Uint8Array {
  const b = new Uint8Array(HEADER_SIZE);
  const v = new DataView(b.buffer);
  v.setUint32(0, h.namelen >>> 0, true);
  v.setUint32(4, h.mode >>> 0, true);
  v.setBigUint64(8, BigInt.asUintN(64, h.filelen), true);
  v.setUint32(16, h.atime >>> 0, true);
  v.setUint32(20, h.atimeNsec >>> 0, true);
  v.setUint32(24, h.mtime >>> 0, true);
  v.setUint32(28, h.mtimeNsec >>> 0, true);
  return b;
}

export function decodeHeader(b: Uint8Array): FileHeader {
  const v = new DataView(b.buffer, b.byteOffset, HEADER_SIZE);
  return {
    namelen: v.getUint32(0, true),
    mode: v.getUint32(4, true),
    filelen: v.getBigUint64(8, true),
    atime: v.getUint32(16, true),
    atimeNsec: v.getUint32(20, true),
    mtime: v.getUint32(24, true),
    mtimeNsec: v.getUint32(28, true),
  };
}

/** What the receiver answers at the end (or at its first error). */
export interface CopyResult {
  errno: number;
  crc32: number;
  /** Raw bytes of the last name the receiver handled (untrusted, for display after sanitising). */
  lastName: Uint8Array;
}

export function encodeResult(r: CopyResult): Uint8Array {
  const b = new Uint8Array(RESULT_SIZE + 4 + r.lastName.length);
  const v = new DataView(b.buffer);
  v.setUint32(0, r.errno >>> 0, true);
  v.setBigUint64(8, BigInt(r.crc32 >>> 0), true);
  v.setUint32(16, r.lastName.length, true);
  b.set(r.lastName, 20);
  return b;
}

/** Decodes a complete result; a missing extension means no last name. */
export function decodeResult(b: Uint8Array): CopyResult {
  if (b.length < RESULT_SIZE) throw new RangeError(`result is ${b.length} bytes, needs ${RESULT_SIZE}`);
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  const errno = v.getUint32(0, true);
  const crc = Number(v.getBigUint64(8, true) & 0xffffffffn);
  let lastName = new Uint8Array(0);
  if (b.length >= RESULT_SIZE + 4) {
    const n = Math.min(v.getUint32(16, true), MAX_PATH_LENGTH, b.length - RESULT_SIZE - 4);
    lastName = b.slice(20, 20 + n);
  }
  return { errno, crc32: crc, lastName };
}

/** A remote name made printable: anything outside printable ASCII, and `"`, becomes `_`. */
export function displayName(untrusted: Uint8Array): string {
  let s = '';
  for (const c of untrusted) s += c < 0x20 || c > 0x7e || c === 0x22 ? '_' : String.fromCharCode(c);
  return s;
}
