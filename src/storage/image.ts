// Persistent volumes as ext4 images: one sparse file per volume, bounded by its size, loop-mounted only while in use.
import { promises as fsp } from 'node:fs';
import { BulkheadError } from '../errors/index.js';
import { pollFor, run } from '../exec/index.js';

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
export async function makeImage(
  img: string,
  bytes: number,
  fromDir: string | null,
  owner: { uid: number; gid: number },
  extraMkfs: string[] = [],
): Promise<void> {
  const fh = await fsp.open(img, 'wx', 0o600);
  try {
    await fh.truncate(bytes);
  } finally {
    await fh.close();
  }
  await tool(
    'mkfs.ext4',
    [
      '-q',
      '-F',
      '-b',
      '4096',
      '-m',
      '0',
      ...extraMkfs,
      ...(fromDir === null ? [] : ['-d', fromDir]),
      '-E',
      `root_owner=${owner.uid}:${owner.gid},lazy_itable_init=1,lazy_journal_init=1`,
      img,
    ],
    `creating ${img}`,
  );
}

export async function imageInfo(img: string): Promise<ImageInfo> {
  const st = await fsp.stat(img);
  return { sizeBytes: st.size, allocatedBytes: st.blocks * 512 };
}

/** Bytes the ext4 file system inside an image spans (it lags the file's length after a growth not yet applied). */
async function fsBytes(img: string): Promise<number> {
  const r = await run('dumpe2fs', ['-h', img], { timeoutMs: 30_000, allowFail: true });
  const count = /^Block count:\s+(\d+)$/m.exec(r.stdout)?.[1];
  const size = /^Block size:\s+(\d+)$/m.exec(r.stdout)?.[1];
  if (r.code !== 0 || !count || !size) throw new BulkheadError('ERR_VOLUME', `${img}: not an ext4 image (dumpe2fs exit ${r.code})`);
  return Number(count) * Number(size);
}

/**
 * Grow a volume that is not mounted to `bytes` (never shrinks): lengthen the file, then, when the
 * file system is shorter than the file (also after an online growth the kernel refused), check
 * it and grow it to the file's length.
 */
export async function growImageOffline(img: string, bytes: number): Promise<void> {
  await waitImageReleased(img);
  const { sizeBytes } = await imageInfo(img);
  if (bytes > sizeBytes) await fsp.truncate(img, bytes);
  if ((await fsBytes(img)) >= Math.max(bytes, sizeBytes) - 4096) return;
  // resize2fs insists on a freshly checked file system when it is not mounted.
  const r = await run('e2fsck', ['-f', '-p', img], { timeoutMs: 30 * 60_000, allowFail: true });
  if (r.code !== 0 && r.code !== 1)
    throw new BulkheadError('ERR_VOLUME', `checking ${img} before growing it: e2fsck exit ${r.code}: ${r.stdout.trim().split('\n').pop() ?? ''}`);
  await tool('resize2fs', [img], `growing ${img}`, 30 * 60_000);
}

/**
 * Grow a volume that is mounted (qube running): lengthen the file, tell the loop device, grow
 * online. Online growth needs CAP_SYS_RESOURCE; without it (a container host that drops it)
 * this returns false and the growth is finished by growImageOffline at the next start.
 */
export async function growImageOnline(img: string, bytes: number): Promise<boolean> {
  const { sizeBytes } = await imageInfo(img);
  if (bytes <= sizeBytes) return true;
  const r = await run('losetup', ['-n', '-O', 'NAME', '-j', img], { timeoutMs: 10_000 });
  const dev = r.stdout.trim().split('\n')[0];
  if (!dev || !/^\/dev\/loop\d+$/.test(dev)) throw new BulkheadError('ERR_VOLUME', `${img} is not attached to a loop device`);
  await fsp.truncate(img, bytes);
  await tool('losetup', ['-c', dev], `growing ${dev}`);
  const g = await run('resize2fs', [dev], { timeoutMs: 30 * 60_000, allowFail: true });
  if (g.code === 0) return true;
  if (/Permission denied|Operation not permitted/.test(g.stderr)) return false;
  throw new BulkheadError('ERR_VOLUME', `growing ${img}: resize2fs failed: ${g.stderr.trim().split('\n').pop() ?? `exit ${g.code}`}`);
}

/** Loop devices whose backing file is `img` (read from sysfs: no process to start). */
export async function loopsOf(img: string): Promise<string[]> {
  const out: string[] = [];
  let names: string[];
  try {
    names = await fsp.readdir('/sys/block');
  } catch {
    return out;
  }
  for (const n of names.filter((x) => /^loop\d+$/.test(x))) {
    try {
      const back = (await fsp.readFile(`/sys/block/${n}/loop/backing_file`, 'utf8')).trim();
      if (back === img || back === `${img} (deleted)`) out.push(`/dev/${n}`);
    } catch {
      /* not attached */
    }
  }
  return out;
}

/**
 * Wait until no loop device holds `img`. An unmount right after a qube's end can be lazy (its
 * mount namespace is torn down a moment later); until the loop device is released the file
 * system is still live and may still write back, so nothing may copy, check or grow the file.
 * A program that made its own mount namespace while the image was mounted keeps a copy of the
 * mount that no unmount on the host reaches when its copies are private: `crun exec` does that
 * for as long as a command runs in any qube. Such copies (in namespaces whose root is the
 * host's, never a qube's) are unmounted in their namespace, so the image is released.
 */
export async function waitImageReleased(img: string, timeoutMs = 15_000): Promise<void> {
  let held: string[] = [];
  const deadline = Date.now() + timeoutMs;
  const free = async () => (held = await loopsOf(img)).length === 0;
  if (await pollFor(free, Math.min(1000, timeoutMs), 25)) return;
  while (Date.now() < deadline) {
    await releaseCopies(held);
    if (await pollFor(free, Math.min(2000, Math.max(0, deadline - Date.now())), 25)) return;
  }
  throw new BulkheadError('ERR_VOLUME', `${img} is still in use by ${held.join(', ')} (mounted somewhere?)`);
}

/** Unmounts (lazily) the mounts of the loop devices `loops` that live in other mount namespaces rooted at the host's root. */
export async function releaseCopies(loops: string[]): Promise<number> {
  const devs = new Set<string>();
  for (const l of loops) {
    const dev = await fsp.readFile(`/sys/block/${l.replace(/^\/dev\//, '')}/dev`, 'utf8').catch(() => '');
    if (/^\d+:\d+$/.test(dev.trim())) devs.add(dev.trim());
  }
  if (devs.size === 0) return 0;
  const own = await fsp.readlink('/proc/self/ns/mnt');
  const root = await fsp.stat('/');
  const seen = new Set<string>([own]);
  let released = 0;
  for (const e of await fsp.readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const ns = await fsp.readlink(`/proc/${e}/ns/mnt`);
      if (seen.has(ns)) continue;
      seen.add(ns);
      // A qube's namespace has its own root (and paths the qube could change): never entered.
      const r = await fsp.stat(`/proc/${e}/root/`);
      if (r.dev !== root.dev || r.ino !== root.ino) continue;
      const points = (await fsp.readFile(`/proc/${e}/mountinfo`, 'utf8'))
        .split('\n')
        .map((l) => l.split(' '))
        .filter((f) => f.length > 4 && devs.has(f[2] ?? ''))
        .map((f) => (f[4] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
        .sort((a, b) => b.length - a.length);
      if (points.length === 0) continue;
      const u = await run('nsenter', [`--mount=/proc/${e}/ns/mnt`, '--', 'umount', '-l', ...points], { timeoutMs: 10_000, allowFail: true });
      if (u.code === 0) released += points.length;
    } catch {
      /* the process ended meanwhile: its copies went with it */
    }
  }
  return released;
}

/** Mount an image read-only at `dir` for the admin to look into, run `fn`, unmount (its loop device goes with it). */
export async function withImageMounted<T>(img: string, dir: string, rw: boolean, fn: () => Promise<T>): Promise<T> {
  await waitImageReleased(img);
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  await tool('mount', ['-t', 'ext4', '-o', `loop,nosuid,nodev,noexec,${rw ? 'rw' : 'ro'}`, img, dir], `mounting ${img}`);
  try {
    return await fn();
  } finally {
    await tool('umount', [dir], `unmounting ${img}`);
  }
}

/**
 * Mount an image below a shared bind mount of its own (`dir` made a shared bind of itself, the
 * image at `dir/fs`), run `fn` on `dir/fs`, unmount both and remove the directories. A mount
 * namespace another program copies from the host meanwhile (ip netns exec, a sandbox) holds a copy
 * of the mount; below a shared mount the unmount reaches that copy too, so the loop device goes.
 * `dir` must be a fresh name that recovery knows (it unmounts leftovers after a crash).
 */
export async function withImageMountedShared<T>(img: string, dir: string, opts: string, fn: (tree: string) => Promise<T>): Promise<T> {
  await waitImageReleased(img);
  const fs = `${dir}/fs`;
  await fsp.mkdir(dir, { mode: 0o700 });
  await fsp.mkdir(fs, { mode: 0o700 });
  try {
    await tool('mount', ['--bind', '-o', 'nosuid,nodev,noexec', dir, dir], `binding ${dir}`);
    await tool('mount', ['--make-shared', dir], `sharing ${dir}`);
    await tool('mount', ['-t', 'ext4', '-o', `loop,nosuid,nodev,noexec,${opts}`, img, fs], `mounting ${img}`);
    try {
      return await fn(fs);
    } finally {
      await tool('umount', [fs], `unmounting ${img}`);
    }
  } finally {
    await releaseSharedMount(dir, img);
  }
}

/** Undo withImageMountedShared after it ended or crashed: unmount `dir/fs` and `dir`, release loop devices of `img` left unmounted, remove the directories. */
export async function releaseSharedMount(dir: string, img: string): Promise<void> {
  await run('umount', [`${dir}/fs`], { timeoutMs: 60_000, allowFail: true });
  await run('umount', [dir], { timeoutMs: 60_000, allowFail: true });
  // A crash between the loop device's attach and the mount leaves a device no unmount frees;
  // losetup -d on a device still in use only marks it to go with its last user (harmless).
  for (const dev of await loopsOf(img)) await run('losetup', ['-d', dev], { timeoutMs: 10_000, allowFail: true });
  // rmdir, never rm -r: a directory still mounted must not be emptied.
  await fsp.rmdir(`${dir}/fs`).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
  await fsp.rmdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
}
