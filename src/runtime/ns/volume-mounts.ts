// Size-bounded volumes of a running qube: tmpfs for the data discarded at stop, loop-mounted ext4 images for persistent ones.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { BulkheadError } from '../../errors/index.js';
import { run } from '../../exec/index.js';
import type { QubeRuntimeSpec } from '../types.js';
import { ensureDir } from './host-fs.js';

const isMountPoint = (dir: string) =>
  readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === dir);

/** Mount source names carry the runtime id (which carries the state directory's prefix), so leftovers are attributable. */
export const tmpfsSource = (spec: Pick<QubeRuntimeSpec, 'id'>, vol: string) => `bh-${vol}-${spec.id}`;

async function mount(args: string[], what: string): Promise<void> {
  const r = await run('mount', args, { timeoutMs: 30_000, allowFail: true });
  if (r.code !== 0) throw new BulkheadError('ERR_RUNTIME', `cannot mount ${what}: ${r.stderr.trim().split('\n').pop() ?? `exit ${r.code}`}`);
}

function checkBytes(n: number, field: string): void {
  if (!Number.isSafeInteger(n) || n < 1024 * 1024) throw new BulkheadError('ERR_INVALID_VALUE', `${field}: ${n} is not a size in bytes of at least 1 MiB`);
}

/**
 * Mount the bounded volumes before the overlay is made: a tmpfs at rootRwDir (volatileRoot
 * qubes: upper and work must share one file system), a tmpfs or the ext4 image at privateDir.
 * Every mount is nosuid,nodev. The caller unmounts them in cleanup (volumeMountPoints).
 */
export async function mountVolumes(spec: QubeRuntimeSpec): Promise<void> {
  if (spec.volatileRoot && spec.volatileBytes !== undefined) {
    checkBytes(spec.volatileBytes, 'volatileBytes');
    mkdirSync(spec.rootRwDir, { recursive: true, mode: 0o700 });
    ensureDir(spec.rootRwDir, 0, 0, 0o700, 'rootRwDir');
    await mount(['-t', 'tmpfs', '-o', `size=${spec.volatileBytes},mode=0700,uid=0,gid=0,nosuid,nodev`, tmpfsSource(spec, 'volatile'), spec.rootRwDir], `the volatile volume of ${spec.name}`);
  }
  if (spec.privateTmpfsBytes !== undefined) {
    checkBytes(spec.privateTmpfsBytes, 'privateTmpfsBytes');
    ensureDir(spec.privateDir, spec.uidBase, spec.uidBase, 0o755, 'privateDir');
    await mount(['-t', 'tmpfs', '-o', `size=${spec.privateTmpfsBytes},mode=0755,uid=${spec.uidBase},gid=${spec.uidBase},nosuid,nodev`, tmpfsSource(spec, 'private'), spec.privateDir], `the private volume of ${spec.name}`);
  } else if (spec.privateImage !== undefined) {
    // A mount namespace copied from the host while the image is mounted (ip netns exec, unshare)
    // holds a copy of its mount, and with it the file system and loop device, for as long as that
    // copy lives; a second mount of the image at the next start would then corrupt it. Mounted
    // below a shared mount, the unmount at stop reaches every slave or shared copy too.
    const parent = dirname(spec.privateDir);
    mkdirSync(parent, { recursive: true, mode: 0o700 });
    if (!isMountPoint(parent)) {
      await mount(['--bind', parent, parent], `the mount directory of ${spec.name}`);
      await mount(['--make-shared', parent], `the mount directory of ${spec.name}`);
    }
    ensureDir(spec.privateDir, spec.uidBase, spec.uidBase, 0o755, 'privateDir');
    // -o loop attaches a loop device with autoclear: the unmount in cleanup releases it.
    await mount(['-t', 'ext4', '-o', 'loop,nosuid,nodev,errors=remount-ro', spec.privateImage, spec.privateDir], `the private volume image of ${spec.name}`);
  }
}

/** Where mountVolumes may have mounted something, innermost last (for one umount call). */
export function volumeMountPoints(spec: QubeRuntimeSpec): string[] {
  // A spec rebuilt for an orphan (no record left) may lack the paths: nothing of it to unmount then.
  const points = [spec.privateDir, ...(spec.privateImage !== undefined && spec.privateDir ? [dirname(spec.privateDir)] : []), ...(spec.volatileRoot ? [spec.rootRwDir] : [])];
  return points.filter((p): p is string => typeof p === 'string' && p.startsWith('/'));
}

/** Grow (or shrink, when it fits) a running qube's tmpfs to `bytes`. */
export async function remountTmpfs(dir: string, bytes: number, what: string): Promise<void> {
  checkBytes(bytes, what);
  await mount(['-o', `remount,size=${bytes}`, dir], what);
}
