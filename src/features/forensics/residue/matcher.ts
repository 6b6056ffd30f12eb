// Finds every occurrence of a few byte strings in a stream fed in chunks, also across chunk boundaries (pure).

export interface Hit {
  /** Index of the needle in the list given. */
  needle: number;
  /** Byte offset of the match in the whole stream. */
  offset: number;
}

export interface Matcher {
  /** Feeds the next chunk (the bytes right after the previous one); returns the hits that end in it. */
  push(chunk: Uint8Array): Hit[];
  /** Bytes fed so far. */
  readonly fed: number;
}

/**
 * A matcher for `needles` (each non-empty). It keeps the last (longest needle − 1) bytes of the
 * previous chunk and searches them joined to the new one, so a match split by a chunk boundary is
 * found exactly once. The search itself is Buffer.indexOf (memmem-like, several GB/s).
 */
export function createMatcher(needles: readonly Uint8Array[]): Matcher {
  if (needles.length === 0 || needles.some((n) => n.length === 0)) throw new Error('createMatcher: needles must be non-empty');
  const bufs = needles.map((n) => Buffer.from(n));
  const keep = Math.max(...bufs.map((n) => n.length)) - 1;
  let tail: Buffer = Buffer.alloc(0);
  let fed = 0;
  return {
    get fed() {
      return fed;
    },
    push(chunk) {
      const c = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      const hits: Hit[] = [];
      // Matches that start in the carried tail and end in c: searched in a small junction window only.
      if (tail.length) {
        const junction = Buffer.concat([tail, c.subarray(0, keep)]);
        bufs.forEach((n, i) => {
          for (let at = junction.indexOf(n, Math.max(0, tail.length - n.length + 1)); at >= 0 && at < tail.length; at = junction.indexOf(n, at + 1)) {
            hits.push({ needle: i, offset: fed - tail.length + at });
          }
        });
      }
      // Matches that start in c: the chunk itself, no copy.
      bufs.forEach((n, i) => {
        for (let at = c.indexOf(n); at >= 0; at = c.indexOf(n, at + 1)) hits.push({ needle: i, offset: fed + at });
      });
      fed += c.length;
      if (keep > 0) {
        const src = c.length >= keep ? c.subarray(c.length - keep) : Buffer.concat([tail, c]).subarray(-keep);
        tail = Buffer.from(src);
      }
      hits.sort((a, b) => a.offset - b.offset || a.needle - b.needle);
      return hits;
    },
  };
}
