// Tests of the streamed scan of a file: block boundaries, offsets, and the per-canary bound on reported hits.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { scanHandle } from './stream-scan.js';

describe('residue: streamed scan', () => {
  it('counts every hit, reports at most maxHits per canary, so many control hits never hide the other canary', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bh-scan-'));
    try {
      const f = join(dir, 'img');
      const a = 'CONTROL-CANARY\n'.repeat(500);
      writeFileSync(f, Buffer.concat([Buffer.from(a), Buffer.alloc(100_000), Buffer.from('DISPOSABLE-CANARY')]));
      const fh = await open(f, 'r');
      try {
        // A small buffer: many reads, matches across their boundaries.
        const r = await scanHandle(fh, [Buffer.from('DISPOSABLE-CANARY'), Buffer.from('CONTROL-CANARY')], { maxHits: 10, buffer: Buffer.alloc(4093) });
        assert.deepEqual(r.counts, [1, 500]);
        assert.equal(r.hits.filter((h) => h.needle === 1).length, 10);
        assert.deepEqual(
          r.hits.filter((h) => h.needle === 0),
          [{ needle: 0, offset: a.length + 100_000 }],
        );
        assert.equal(r.bytes, a.length + 100_000 + 17);
      } finally {
        await fh.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('residue: tree scan', () => {
  it('reads a sparse file only where it holds data, finds the canary at its file offset, never follows a symlink', async () => {
    const { scanTree } = await import('./walk.js');
    const { openSync, writeSync, ftruncateSync, closeSync, symlinkSync, mkdirSync } = await import('node:fs');
    const dir = mkdtempSync(join(tmpdir(), 'bh-tree-'));
    try {
      mkdirSync(join(dir, 'sub'));
      const f = join(dir, 'sub', 'sparse.img');
      const fd = openSync(f, 'w');
      const at = 100 * 1024 * 1024 + 77;
      writeSync(fd, Buffer.from('THE-CANARY'), 0, 10, at);
      ftruncateSync(fd, 256 * 1024 * 1024);
      closeSync(fd);
      writeFileSync(join(dir, 'outside'), 'THE-CANARY');
      symlinkSync(join(dir, 'outside'), join(dir, 'sub', 'link'));
      const r = await scanTree(join(dir, 'sub'), [Buffer.from('THE-CANARY')]);
      assert.deepEqual(r.hits, [{ needle: 0, offset: at, path: f }]);
      assert.equal(r.files, 1, 'the symlink is not followed');
      assert.ok(r.bytes < 16 * 1024 * 1024, `read ${r.bytes} bytes of a 256 MiB sparse file`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
