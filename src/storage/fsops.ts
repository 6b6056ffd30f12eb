// File-system steps storage is built from: copy a tree aside, delete by rename-then-remove, durable renames.
import { randomBytes } from 'node:crypto';
import { constants as fsc, promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BulkheadError } from '../errors/index.js';
import { run } from '../exec/index.js';
import { TRASH_PREFIX } from './layout.js';

export async function exists(p: string): Promise<boolean> {
  try {
    await fsp.lstat(p);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/** A file's text, or null when it does not exist (any other error is thrown). */
export async function readTextIfExists(path: string): Promise<string | null> {
  try {
    return await fsp.readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

export async function isDir(p: string): Promise<boolean> {
  try {
    return (await fsp.lstat(p)).isDirectory();
  } catch {
    return false;
  }
}

export function randomSuffix(): string {
  return randomBytes(4).toString('hex');
}

/**
 * Copy a tree to a path that must not exist yet, keeping owners, modes, times, hard links,
 * xattrs and device nodes (`cp -a` as root). Shares extents by reflink where the file system
 * can (btrfs, xfs), otherwise copies the data: the copy never shares inodes with the source,
 * so a later write to either side cannot change the other.
 */
export async function copyTree(src: string, dst: string, timeoutMs = 30 * 60_000): Promise<void> {
  if (await exists(dst)) throw new BulkheadError('ERR_VOLUME', `copy destination exists: ${dst}`);
  await run('cp', ['--reflink=auto', '-a', '--', src, dst], { timeoutMs });
}

/** Flush the file system holding `p` (so a rename that follows publishes data that is on disk). */
export async function syncFs(p: string): Promise<void> {
  await run('sync', ['-f', p], { timeoutMs: 120_000 });
}

/** fsync a directory, making renames and creations inside it durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, fsc.O_RDONLY | fsc.O_DIRECTORY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** rename + fsync of the parent directories involved. */
export async function durableRename(from: string, to: string): Promise<void> {
  await fsp.rename(from, to);
  await fsyncDir(dirname(to));
  if (dirname(from) !== dirname(to)) await fsyncDir(dirname(from));
}

/**
 * Remove a tree without ever leaving it half-deleted under its own name: rename it to
 * `.trash-…` inside `trashDir` (same file system), then delete. A crash mid-way leaves only a
 * `.trash-` entry, which recovery deletes.
 */
export async function removeTree(p: string, trashDir = dirname(p)): Promise<void> {
  if (!(await exists(p))) return;
  const trash = join(trashDir, `${TRASH_PREFIX}${basename(p)}-${randomSuffix()}`);
  await durableRename(p, trash);
  await fsp.rm(trash, { recursive: true, force: true });
}

/** Write a small file atomically: temp file, fsync, rename, fsync the directory. */
export async function writeFileAtomic(path: string, data: string, mode = 0o600): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomSuffix()}.tmp`);
  const fh = await fsp.open(tmp, 'wx', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await durableRename(tmp, path);
}

/** Make a directory with an owner and mode (owner only when given). */
export async function mkdirOwned(p: string, mode: number, owner?: { uid: number; gid: number }): Promise<void> {
  await fsp.mkdir(p, { recursive: true, mode });
  await fsp.chmod(p, mode);
  if (owner) await fsp.lchown(p, owner.uid, owner.gid);
}
