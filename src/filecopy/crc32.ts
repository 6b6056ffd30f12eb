// CRC-32 (the gzip/zlib polynomial) that the file-copy receiver reports over every byte it read.
import { crc32 as zlibCrc32 } from 'node:zlib';

/** Continues `crc` (0 for the first buffer) over `bytes`. */
export function crc32(crc: number, bytes: Uint8Array): number {
  return zlibCrc32(bytes, crc);
}
