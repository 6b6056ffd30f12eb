// Tests of the streaming matcher: matches across every chunk boundary, overlaps, several needles, offsets.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { createMatcher, type Hit } from './matcher.js';

/** All hits of `needles` in `data` by brute force. */
function naive(data: Buffer, needles: Buffer[]): Hit[] {
  const out: Hit[] = [];
  for (let off = 0; off < data.length; off++) {
    needles.forEach((n, i) => {
      if (off + n.length <= data.length && data.subarray(off, off + n.length).equals(n)) out.push({ needle: i, offset: off });
    });
  }
  return out.sort((a, b) => a.offset - b.offset || a.needle - b.needle);
}

function feed(data: Buffer, needles: Buffer[], sizes: number[]): Hit[] {
  const m = createMatcher(needles);
  const out: Hit[] = [];
  let at = 0;
  let k = 0;
  while (at < data.length) {
    const n = Math.max(1, sizes[k++ % sizes.length] as number);
    out.push(...m.push(data.subarray(at, at + n)));
    at += n;
  }
  assert.equal(m.fed, data.length);
  return out.sort((a, b) => a.offset - b.offset || a.needle - b.needle);
}

describe('residue matcher', () => {
  it('finds a needle split at every possible chunk boundary exactly once', () => {
    const needle = Buffer.from('BHCANARY-0123456789abcdef');
    const data = Buffer.concat([Buffer.alloc(37, 'x'), needle, Buffer.alloc(11, 'y')]);
    for (let cut = 1; cut < data.length; cut++) {
      assert.deepEqual(feed(data, [needle], [cut, data.length]), [{ needle: 0, offset: 37 }], `cut at ${cut}`);
    }
  });

  it('agrees with brute force on random data with planted, overlapping and repeated needles, for many chunkings', () => {
    const a = Buffer.from('abab');
    const b = Buffer.from('CANARY');
    for (let round = 0; round < 40; round++) {
      const parts: Buffer[] = [];
      for (let i = 0; i < 30; i++) parts.push(randomBytes(round % 7), i % 3 === 0 ? a : b, Buffer.from('ab'));
      const data = Buffer.concat(parts);
      const expect = naive(data, [a, b]);
      assert.ok(expect.length > 20);
      for (const sizes of [[1], [2, 3], [5], [4096], [7, 1, 13]]) assert.deepEqual(feed(data, [a, b], sizes), expect);
    }
  });

  it('counts offsets over the whole stream and finds nothing in clean data', () => {
    const m = createMatcher([Buffer.from('needle')]);
    assert.deepEqual(m.push(Buffer.alloc(1 << 20)), []);
    assert.deepEqual(m.push(Buffer.from('..needle')), [{ needle: 0, offset: (1 << 20) + 2 }]);
  });

  it('refuses an empty needle list or an empty needle', () => {
    assert.throws(() => createMatcher([]));
    assert.throws(() => createMatcher([Buffer.alloc(0)]));
  });
});
