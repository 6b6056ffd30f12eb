// The build lock of a cached template tarball: one holder at a time, a dead holder's lock taken over.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { takeBuildLock } from './template-build.js';

test('a live holder keeps the lock; a dead holder loses it; a half-written one only when old', async () => {
  const dir = mkdtempSync(join(tmpdir(), `${process.env.BULKHEAD_TEST_RUN ?? 'bht'}-lock-`));
  try {
    const lock = join(dir, '.build-lock-k');
    assert.equal(await takeBuildLock(lock), true);
    assert.equal(readFileSync(lock, 'utf8'), `${process.pid}\n`);
    assert.equal(await takeBuildLock(lock), undefined, 'held by this process: wait');
    // A holder that has exited: its pid is gone, so the lock is removed and the next try takes it.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(lock, `${dead.stdout}\n`);
    assert.equal(await takeBuildLock(lock), undefined);
    assert.equal(existsSync(lock), false, 'the dead holder lock was removed');
    assert.equal(await takeBuildLock(lock), true);
    // A lock being written (no pid yet) is left alone while it is young.
    writeFileSync(lock, '');
    assert.equal(await takeBuildLock(lock), undefined);
    assert.equal(existsSync(lock), true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
