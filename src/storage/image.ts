// Persistent volumes as ext4 images: one sparse file per volume, bounded by its size, loop-mounted only while in use.
import { promises as fsp } from 'node:fs';
import { BulkheadError } from '../errors/index.js';
import { run } from '../exec/index.js';

export interface ImageInfo {
  /** The volume's size: what the qube can fill (the image file's length). */
  sizeBytes: number;
  /** Blocks the image takes on the host (sparse: only what was written). */
  allocatedBytes: number;
}

async function tool(cmd: string, args: string[], what: string, timeoutMs = 120_000): Promise<void> {
  const r = await run(cmd, args, { timeoutMs, allowFail: true });
  if (r.code !== 0) throw new BulkheadError('ERR_VOLUME', `${what}: ${cmd} failed: ${r.stderr.trim().split('\n').pop() ?? `exit ${r.code}`}`);
}

/** Whether `p` is a volume image (a regular file) rather than a directory tree. */
export async function isImage(p: string): Promise<boolean> {
  try {
    return (await fsp.lstat(p)).isFile();
  } catch {
    return false;
  }
}

/**
 * Make an image of `bytes` at `img` (which must not exist) holding a copy of `fromDir` (owners
 * and modes kept; its root owned by `owner`). 4 KiB blocks so online growth goes far; no blocks
 * reserved for root (a qube's root is not the host's and should get the whole size).
 */
export async function makeImage(img: string, bytes: number, fromDir: string, owner: { uid: number; gid: number }): Promise<void> {
  const fh = await fsp.open(img, 'wx', 0o600);
  try {
    await fh.truncate(bytes);
  } finally {
    await fh.close();
  }
  await tool('mkfs.ext4', ['-q', '-F', '-b', '4096', '-m', '0', '-d', fromDir,
    '-E', `root_owner=${owner.uid}:${owner.gid},lazy_itable_init=1,lazy_journal_init=1`, img], `creating ${img}`);
}

export async function imageInfo(img: string): Promise<ImageInfo> {
  const st = await fsp.stat(img);
  return { sizeBytes: st.size, allocatedBytes: st.blocks * 512 };
}

/** Grow a volume that is not mounted: lengthen the file, check the file system, grow it. */
export async function growImageOffline(img: string, bytes: number): Promise<void> {
  const { sizeBytes } = await imageInfo(img);
  if (bytes <= sizeBytes) return;
  await fsp.truncate(img, bytes);
  // resize2fs insists on a freshly checked file system when it is not mounted.
  const r = await run('e2fsck', ['-f', '-p', img], { timeoutMs: 30 * 60_000, allowFail: true });
  if (r.code !== 0 && r.code !== 1) throw new BulkheadError('ERR_VOLUME', `checking ${img} before growing it: e2fsck exit ${r.code}: ${r.stdout.trim().split('\n').pop() ?? ''}`);
  await tool('resize2fs', [img], `growing ${img}`, 30 * 60_000);
}

/** Grow a volume that is mounted (qube running): lengthen the file, tell the loop device, grow online. */
export async function growImageOnline(img: string, bytes: number): Promise<void> {
  const { sizeBytes } = await imageInfo(img);
  if (bytes <= sizeBytes) return;
  const r = await run('losetup', ['-n', '-O', 'NAME', '-j', img], { timeoutMs: 10_000 });
  const dev = r.stdout.trim().split('\n')[0];
  if (!dev || !/^\/dev\/loop\d+$/.test(dev)) throw new BulkheadError('ERR_VOLUME', `${img} is not attached to a loop device`);
  await fsp.truncate(img, bytes);
  await tool('losetup', ['-c', dev], `growing ${dev}`);
  await tool('resize2fs', [dev], `growing ${img}`, 30 * 60_000);
}

/** Mount an image read-only at `dir` for the admin to look into, run `fn`, unmount (its loop device goes with it). */
export async function withImageMounted<T>(img: string, dir: string, rw: boolean, fn: () => Promise<T>): Promise<T> {
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  await tool('mount', ['-t', 'ext4', '-o', `loop,nosuid,nodev,noexec,${rw ? 'rw' : 'ro'}`, img, dir], `mounting ${img}`);
  try {
    return await fn();
  } finally {
    await tool('umount', [dir], `unmounting ${img}`);
  }
}
