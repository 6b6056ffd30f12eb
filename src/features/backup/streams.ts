// The byte streams of a backup: a qube's volume (ext4 image or directory tree) as a zstd-compressed tar stream (create), unpacked into staging (restore).
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { BulkheadError } from '../../errors/index.js';
import { spawnPipe, type PipeProcess } from '../../exec/index.js';
import type { EntrySink } from './reader.js';

/** zstd level 1 on every core: volumes are mostly text and already-compressed data; speed matters more than ratio (bench/backup.ts). */
const ZSTD_COMPRESS = ['-q', '-c', '-1', '-T0', '--no-progress'];
/**
 * GNU tar keeps numeric owners, modes, ACLs, xattrs (file capabilities), hard links; `--sparse
 * --hole-detection=seek` finds an image's holes with SEEK_DATA/SEEK_HOLE, so the unwritten part
 * of a 2 GiB private volume is neither read nor stored, and is a hole again after restore.
 */
const TAR_COMMON = ['--numeric-owner', '--xattrs', '--xattrs-include=*', '--acls'];

/** Bytes a process has read so far (its rchar in /proc/PID/io), for progress; 0 once it is gone. */
function bytesRead(pid: number | undefined): number {
  try {
    const m = /^rchar:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * `dir/name` (a volume image or a directory tree of a stopped qube) as a compressed tar stream
 * whose one top-level member is `name`. tar's output goes straight into zstd (no copy through
 * Node); `onBytes` gets what tar has read so far. tar never follows a symlink it archives.
 */
export async function* volumeSource(dir: string, name: string, onBytes: (n: number) => void): AsyncGenerator<Buffer> {
  await lstat(`${dir}/${name}`);
  const z = spawnPipe('zstd', ZSTD_COMPRESS);
  const tar = spawnPipe('tar', ['--create', '--file=-', `--directory=${dir}`, '--sparse', '--hole-detection=seek', '--one-file-system', ...TAR_COMMON, name], {
    stdoutTo: z.stdin,
  });
  tar.stdin.end();
  z.stdin.destroy();
  let reported = 0;
  let last = 0;
  const report = () => {
    const n = bytesRead(tar.pid);
    if (n > reported) {
      onBytes(n - reported);
      reported = n;
    }
  };
  try {
    for await (const b of z.stdout) {
      const now = Date.now();
      if (now - last > 100) {
        last = now;
        report();
      }
      yield b as Buffer;
    }
    await tar.done;
    await z.done;
  } finally {
    z.kill();
    tar.kill();
  }
}

/** Write with backpressure; a program that died meanwhile ends the wait with its error. */
async function feed(w: Writable, b: Buffer, p: PipeProcess): Promise<void> {
  if (w.write(b)) return;
  await Promise.race([
    once(w, 'drain'),
    p.done.then(() => {
      throw new BulkheadError('ERR_EXEC', 'the program ended before its input did');
    }),
  ]);
}

/**
 * Decompress a tar stream and unpack only its member `name` (and what is below it) into the
 * root-only staging directory `dir`: a stream that holds anything else, or not `name`, fails.
 * tar refuses absolute names and `..`; owners and modes come from the archive.
 */
export function volumeSink(dir: string, name: string): EntrySink {
  const tar = spawnPipe('tar', ['--extract', '--file=-', `--directory=${dir}`, '--same-owner', '--same-permissions', ...TAR_COMMON, '--', name], {
    discardStdout: true,
  });
  const z = spawnPipe('zstd', ['-d', '-q', '-c', '--no-progress'], { stdoutTo: tar.stdin });
  tar.stdin.destroy();
  let ended = false;
  return {
    write: (b) => feed(z.stdin, b, z),
    async end() {
      ended = true;
      z.stdin.end();
      await z.done;
      await tar.done;
    },
    async abort() {
      if (!ended) z.stdin.destroy();
      z.kill();
      tar.kill();
    },
  };
}
