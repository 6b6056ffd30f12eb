// Unit tests for volume paths, revision names and pruning choices.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkVolumeName, parseRevisionName, revisionName, revisionsToPrune, sortRevisionNames, volumePaths } from './layout.js';
import { shiftId } from './shift.js';

test('volume paths follow the documented layout', () => {
  const p = volumePaths('/pool', 'work');
  assert.equal(p.dir, '/pool/work');
  assert.equal(p.private, '/pool/work/private');
  assert.equal(p.home, '/pool/work/private/home/user');
  assert.equal(p.rootUpper, '/pool/work/root/upper');
  assert.equal(p.rootWork, '/pool/work/root/work');
  assert.equal(p.volatile, '/pool/work/volatile');
  assert.equal(p.revisions, '/pool/work/revisions');
  assert.equal(p.rootfs, '/pool/work/rootfs');
});

test('revision names round-trip and sort by time then suffix', () => {
  const at = new Date('2025-05-20T12:34:56.789Z');
  assert.equal(revisionName(at), '2025-05-20T12-34-56.789Z');
  assert.equal(revisionName(at, 2), '2025-05-20T12-34-56.789Z-2');
  assert.equal(parseRevisionName(revisionName(at))?.getTime(), at.getTime());
  assert.equal(parseRevisionName(revisionName(at, 3))?.getTime(), at.getTime());
  for (const bad of [
    '',
    'x',
    '.incoming-2025-05-20T12-34-56.789Z',
    '2025-05-20T12:34:56.789Z',
    '2025-13-99T12-34-56.789Z-',
    '2025-13-01T12-34-56.789Z',
    '2025-02-30T00-00-00.000Z',
  ]) {
    assert.equal(parseRevisionName(bad), null, bad);
  }
  const names = ['2025-05-20T12-34-56.789Z-10', '2024-01-01T00-00-00.000Z', '2025-05-20T12-34-56.789Z', '.trash-x', '2025-05-20T12-34-56.789Z-2'];
  assert.deepEqual(sortRevisionNames(names), [
    '2024-01-01T00-00-00.000Z',
    '2025-05-20T12-34-56.789Z',
    '2025-05-20T12-34-56.789Z-2',
    '2025-05-20T12-34-56.789Z-10',
  ]);
});

test('pruning removes the oldest beyond keep', () => {
  const n = ['2025-01-03T00-00-00.000Z', '2025-01-01T00-00-00.000Z', '2025-01-02T00-00-00.000Z'];
  assert.deepEqual(revisionsToPrune(n, 1), ['2025-01-01T00-00-00.000Z', '2025-01-02T00-00-00.000Z']);
  assert.deepEqual(revisionsToPrune(n, 2), ['2025-01-01T00-00-00.000Z']);
  assert.deepEqual(revisionsToPrune(n, 3), []);
  assert.deepEqual(revisionsToPrune(n, 10), []);
  assert.equal(revisionsToPrune(n, 0).length, 3);
});

test('volume directory names cannot escape the pool', () => {
  for (const ok of ['work', 'a', 'sys-net', 'x.y_z']) assert.doesNotThrow(() => checkVolumeName(ok));
  for (const bad of ['', '..', 'a/b', '../x', '.hidden', '-x', 'a..b', 'x'.repeat(32), 'a b']) {
    assert.throws(() => checkVolumeName(bad), /invalid qube name/, bad);
  }
});

test('uid shift moves ids inside the source range only', () => {
  const s = { fromBase: 200000, toBase: 300000, count: 65536 };
  assert.equal(shiftId(200000, s), 300000);
  assert.equal(shiftId(201000, s), 301000);
  assert.equal(shiftId(265535, s), 365535);
  assert.equal(shiftId(265536, s), 265536);
  assert.equal(shiftId(0, s), 0);
  assert.equal(shiftId(199999, s), 199999);
});
