// Streams an open file or block device through the matcher in large blocks (one reused buffer, no copies).
import type { FileHandle } from 'node:fs/promises';
import { createMatcher, type Hit } from './matcher.js';

/** Read size: large enough that a read(2) costs little next to the search; ~16 MiB of RAM. */
export const BLOCK = 16 * 1024 * 1024;

export interface StreamScan {
  bytes: number;
  /** Hits per needle (all of them). */
  counts: number[];
  /** The first hits of each needle, at most `maxHits` per needle, offsets in the file or device. */
  hits: Hit[];
}

/** Scans only `ranges` ([start, end) bytes, sorted, disjoint) of `fh`: the rest reads as zeros, where no canary is. */
export async function scanRanges(
  fh: FileHandle,
  ranges: readonly [number, number][],
  needles: readonly Uint8Array[],
  opts: { maxHits?: number; buffer?: Buffer } = {},
): Promise<StreamScan> {
  const total: StreamScan = { bytes: 0, counts: needles.map(() => 0), hits: [] };
  const maxHits = opts.maxHits ?? 100;
  for (const [start, end] of ranges) {
    const r = await scanHandle(fh, needles, { ...opts, start, limit: end - start });
    total.bytes += r.bytes;
    r.counts.forEach((c, i) => {
      total.counts[i] = (total.counts[i] ?? 0) + c;
    });
    for (const h of r.hits) if (total.hits.filter((x) => x.needle === h.needle).length < maxHits) total.hits.push(h);
  }
  return total;
}

/** Scans `fh` from `start` (default 0) to its end (or `limit` bytes); offsets are of the whole file. */
export async function scanHandle(
  fh: FileHandle,
  needles: readonly Uint8Array[],
  opts: { maxHits?: number; limit?: number; buffer?: Buffer; start?: number } = {},
): Promise<StreamScan> {
  const m = createMatcher(needles);
  const buf = opts.buffer ?? Buffer.allocUnsafe(BLOCK);
  const counts = needles.map(() => 0);
  const hits: Hit[] = [];
  const maxHits = opts.maxHits ?? 100;
  const limit = opts.limit ?? Number.MAX_SAFE_INTEGER;
  const start = opts.start ?? 0;
  let pos = 0;
  while (pos < limit) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, limit - pos), start + pos);
    if (bytesRead === 0) break;
    for (const h of m.push(buf.subarray(0, bytesRead))) {
      counts[h.needle] = (counts[h.needle] ?? 0) + 1;
      if ((counts[h.needle] as number) <= maxHits) hits.push({ needle: h.needle, offset: start + h.offset });
    }
    pos += bytesRead;
  }
  return { bytes: pos, counts, hits };
}
