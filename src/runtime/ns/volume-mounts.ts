// Size-bounded volumes of a running qube: tmpfs for the data discarded at stop, loop-mounted ext4 images for persistent ones.
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { BulkheadError } from '../../errors/index.js';
import { run } from '../../exec/index.js';
import type { QubeRuntimeSpec } from '../types.js';
import { ensureDir } from './host-fs.js';
import { dataDirs } from './oci-config.js';
import { addKey, checkPolicy, removeKey } from '../../crypt/fscrypt.js';

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
 * Every mount is nosuid,nodev. The tmpfs mounts take one call of the native helper (a mount(8)
 * process each cost a disposable about 15 ms). The caller unmounts them in cleanup
 * (volumeMountPoints).
 */
export async function mountVolumes(spec: QubeRuntimeSpec, idmapMount: string): Promise<void> {
  const ops: string[] = [];
  if (spec.volatileRoot && spec.volatileBytes !== undefined) {
    checkBytes(spec.volatileBytes, 'volatileBytes');
    mkdirSync(spec.rootRwDir, { recursive: true, mode: 0o700 });
    ensureDir(spec.rootRwDir, 0, 0, 0o700, 'rootRwDir');
    ops.push('tmpfs', tmpfsSource(spec, 'volatile'), spec.rootRwDir, `size=${spec.volatileBytes},mode=0700,uid=0,gid=0`);
  }
  if (spec.privateTmpfsBytes !== undefined) {
    checkBytes(spec.privateTmpfsBytes, 'privateTmpfsBytes');
    ensureDir(spec.privateDir, spec.uidBase, spec.uidBase, 0o755, 'privateDir');
    ops.push('tmpfs', tmpfsSource(spec, 'private'), spec.privateDir, `size=${spec.privateTmpfsBytes},mode=0755,uid=${spec.uidBase},gid=${spec.uidBase}`);
  }
  // A mount namespace copied from the host while an image is mounted (ip netns exec, unshare)
  // holds a copy of its mount, and with it the file system and loop device, for as long as that
  // copy lives; a second mount of the image at the next start would then corrupt it. Mounted
  // below a shared mount, the unmount at stop reaches every slave or shared copy too.
  for (const parent of sharedParents(spec)) {
    mkdirSync(parent, { recursive: true, mode: 0o700 });
    ops.push('shared', parent);
  }
  if (ops.length > 0) {
    const r = await run(idmapMount, ['volumes', ...ops], { timeoutMs: 30_000, allowFail: true });
    if (r.code !== 0)
      throw new BulkheadError('ERR_RUNTIME', `cannot mount the volumes of ${spec.name}: ${r.stderr.trim().split('\n').pop() ?? `exit ${r.code}`}`);
  }
  const key = spec.crypt?.key;
  try {
    if (spec.privateTmpfsBytes === undefined && spec.privateImage !== undefined) {
      ensureDir(spec.privateDir, spec.uidBase, spec.uidBase, 0o755, 'privateDir');
      // -o loop attaches a loop device with autoclear: the unmount in cleanup releases it.
      await mount(['-t', 'ext4', '-o', 'loop,nosuid,nodev,errors=remount-ro', spec.privateImage, spec.privateDir], `the private volume image of ${spec.name}`);
      if (spec.crypt?.private) await unlock(spec, spec.privateDir, key);
    }
    if (spec.rootImage !== undefined && !spec.volatileRoot) {
      ensureDir(spec.rootRwDir, 0, 0, 0o700, 'rootRwDir');
      await mount(['-t', 'ext4', '-o', 'loop,nosuid,nodev,errors=remount-ro', spec.rootImage, spec.rootRwDir], `the root volume image of ${spec.name}`);
      if (spec.crypt?.root) await unlock(spec, spec.rootRwDir, key);
      // overlayfs wants a clean work dir; it never carries data (prepareQubeDirs makes it again).
      rmSync(`${dataDirs(spec).rootData}/work`, { recursive: true, force: true });
    }
  } finally {
    // The kernel holds the key from here on; the daemon's copy goes now (the cleanup removes the kernel's).
    key?.fill(0);
    if (spec.crypt) delete spec.crypt.key;
  }
}

/**
 * Give the kernel the key of the image mounted at `mountDir` and make sure its data directory is
 * encrypted with exactly that key: an image whose data directory was swapped for a plain one
 * must not start and take the qube's writes in plaintext.
 */
async function unlock(spec: QubeRuntimeSpec, mountDir: string, key: Buffer | undefined): Promise<void> {
  const c = spec.crypt;
  if (!c) return;
  if (!key) throw new BulkheadError('ERR_PASSPHRASE', `${spec.name} is encrypted and no key was given`);
  await addKey(mountDir, key, c.keyId);
  await checkPolicy(`${mountDir}/${c.dataSubdir}`, c.keyId);
}

/** Take the keys of an encrypted qube's images back from the kernel (the file systems are still mounted; nothing mounted is no error). */
export async function lockVolumes(spec: QubeRuntimeSpec): Promise<void> {
  const c = spec.crypt;
  if (!c) return;
  if (c.private && spec.privateDir) await removeKey(spec.privateDir, c.keyId);
  if (c.root && spec.rootRwDir) await removeKey(spec.rootRwDir, c.keyId);
}

/** Directories made shared bind mounts of themselves, below which the images are mounted. */
function sharedParents(spec: QubeRuntimeSpec): string[] {
  const out = new Set<string>();
  if (spec.privateTmpfsBytes === undefined && spec.privateImage !== undefined && spec.privateDir) out.add(dirname(spec.privateDir));
  if (spec.rootImage !== undefined && !spec.volatileRoot && spec.rootRwDir) out.add(dirname(spec.rootRwDir));
  return [...out];
}

/** Where mountVolumes may have mounted something, innermost last (for one umount call). */
export function volumeMountPoints(spec: QubeRuntimeSpec): string[] {
  // A spec rebuilt for an orphan (no record left) may lack the paths: nothing of it to unmount then.
  const points = [
    spec.privateDir,
    ...(spec.rootImage !== undefined && !spec.volatileRoot ? [spec.rootRwDir] : []),
    ...sharedParents(spec),
    ...(spec.volatileRoot ? [spec.rootRwDir] : []),
  ];
  return points.filter((p): p is string => typeof p === 'string' && p.startsWith('/'));
}
