// Unit tests of the uid range checks: subuid parsing, overlap edges, picking a free slot base.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UID_SLOT_SIZE, firstOverlap, instanceRange, overlaps, parseSubIdFile, pickSlotBase, showRange } from './uid-ranges.js';

const r = (first: number, count: number) => ({ first, count, source: 'x' });

test('overlap is half-open: touching ranges do not overlap', () => {
  const cases: [number, number, number, number, boolean][] = [
    [0, 10, 10, 5, false],
    [10, 5, 0, 10, false],
    [0, 10, 9, 5, true],
    [9, 5, 0, 10, true],
    [0, 100, 10, 5, true], // inside
    [10, 5, 0, 100, true], // around
    [5, 1, 5, 1, true],
    [0, 1, 2, 1, false],
  ];
  for (const [a, ac, b, bc, want] of cases) assert.equal(overlaps(r(a, ac), r(b, bc)), want, `${a}+${ac} vs ${b}+${bc}`);
});

test('an instance spans its slot base up to the highest qid', () => {
  const i = instanceRange(64, 4095, 'me');
  assert.equal(i.first, 64 * UID_SLOT_SIZE);
  assert.equal(i.count, 4096 * UID_SLOT_SIZE);
  assert.equal(showRange(i), `${64 * 65536}-${(64 + 4096) * 65536 - 1}`);
});

test('subuid files: names or ids, comments, blank lines; a bad line names file and line', () => {
  const got = parseSubIdFile('# comment\nalice:100000:65536\n\n1001:4194304:1\n', '/etc/subuid');
  assert.deepEqual(
    got.map((g) => [g.first, g.count]),
    [
      [100000, 65536],
      [4194304, 1],
    ],
  );
  assert.equal(got[1]!.source, '/etc/subuid:4 (1001:4194304:1)');
  for (const bad of ['alice:100000', 'alice:x:1', 'alice:1:2:3', ':1:2', 'alice:-1:5', 'a b:1:2']) {
    assert.throws(() => parseSubIdFile(`ok:1:1\n${bad}\n`, '/etc/subgid'), /^Error: \/etc\/subgid:2: not NAME:FIRST:COUNT/, bad);
  }
});

test('firstOverlap names the range that collides; an empty range never does', () => {
  const mine = instanceRange(100, 10, 'me');
  const claimed = [r(0, 65536), r(100 * 65536 - 1, 0), { first: 105 * 65536, count: 1, source: '/etc/subuid:7 (bob:6881280:1)' }];
  assert.equal(firstOverlap(mine, claimed)?.source, '/etc/subuid:7 (bob:6881280:1)');
  assert.equal(firstOverlap(mine, claimed.slice(0, 2)), null);
  // Just below and just above the instance's range.
  assert.equal(firstOverlap(mine, [r(100 * 65536 - 10, 10), r(111 * 65536, 10)]), null);
  assert.notEqual(firstOverlap(mine, [r(111 * 65536 - 1, 10)]), null);
});

test('pickSlotBase skips bases that collide and gives up with null', () => {
  const seq = [64, 70, 5000];
  let i = 0;
  const next = () => seq[i++]!;
  // Claimed: slot 80 (reached by bases 64 and 70 with 4096 slots each).
  const claimed = [r(80 * 65536, 65536)];
  assert.equal(pickSlotBase(claimed, 4095, 64, 61000, next), 5000);
  assert.equal(
    pickSlotBase([r(0, 2 ** 33)], 4095, 64, 61000, () => 64, 5),
    null,
  );
});
