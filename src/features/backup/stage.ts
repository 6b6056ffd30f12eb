// A restore's staging area: each qube's volumes are unpacked below POOL/.creating-NAME-… (removed on failure, and by recovery after a crash) and adopted by rename.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import {
  CREATING_PREFIX,
  checkVolumeName,
  durableRename,
  exists,
  isImage,
  mkdirOwned,
  randomSuffix,
  shiftTreeOwners,
  volumePaths,
  volumePathsOf,
  withImageMounted,
  type VolumePaths,
} from '../../storage/index.js';
import { BulkheadError } from '../../errors/index.js';
import type { EntryVolume } from './manifest.js';

const UID_COUNT = 65536;

/** A new staging directory for the qube that will be called `name` (root-only, below the pool). */
export async function makeStaging(poolDir: string, name: string): Promise<string> {
  checkVolumeName(name);
  await fsp.mkdir(poolDir, { recursive: true, mode: 0o700 });
  const dir = join(poolDir, `${CREATING_PREFIX}${name}-${randomSuffix()}`);
  await fsp.mkdir(dir, { mode: 0o700 });
  return dir;
}

/** Where an entry of `volume` is unpacked in a staging directory (the same place the pool has it). */
export function stagedPath(staging: string, volume: EntryVolume): string {
  const p = volumePathsOf(staging);
  return volume === 'private' ? p.private : volume === 'root' ? p.root : p.rootfs;
}

async function shiftVolume(path: string, mnt: string, shift: { fromBase: number; toBase: number; count: number }): Promise<void> {
  if (!(await exists(path))) return;
  // Only root can reach the staging directory, and nothing else mounts this image.
  if (await isImage(path))
    await withImageMounted(path, mnt, true, async () => {
      await shiftTreeOwners(mnt, shift);
    });
  else await shiftTreeOwners(path, shift);
}

/**
 * Complete a staged qube's volumes as createQubeVolumes would have made them (root layer,
 * volatile, revisions, mount points), move owners from the backed-up uid range to the new one,
 * and publish the directory under the pool by one rename.
 */
export async function adoptStaged(
  poolDir: string,
  staging: string,
  name: string,
  opts: { persistentRoot: boolean; fromUidBase: number; toUidBase: number },
): Promise<VolumePaths> {
  checkVolumeName(name);
  const final = volumePaths(poolDir, name);
  if (await exists(final.dir)) throw new BulkheadError('ERR_QUBE_EXISTS', `volumes of ${name} already exist at ${final.dir}`);
  const t = volumePathsOf(staging);
  if (!(await exists(t.private))) throw new BulkheadError('ERR_BACKUP', `${name}: the backup held no private volume`);
  const root = { uid: opts.toUidBase, gid: opts.toUidBase };
  await mkdirOwned(join(staging, 'mnt'), 0o700);
  const shift = { fromBase: opts.fromUidBase, toBase: opts.toUidBase, count: UID_COUNT };
  await shiftVolume(t.private, t.adminMnt, shift);
  await shiftVolume(t.root, t.adminMnt, shift);
  if (!(await exists(t.root))) {
    // An app qube's root layer is discarded at every stop: a backup does not hold it.
    await mkdirOwned(t.root, 0o700);
    await mkdirOwned(t.rootUpper, 0o755, root);
    await mkdirOwned(t.rootWork, 0o700, root);
  } else if (!opts.persistentRoot) {
    throw new BulkheadError('ERR_BACKUP', `${name}: the backup holds a root layer for a qube that keeps none`);
  }
  await mkdirOwned(t.volatile, 0o755, root);
  await mkdirOwned(t.revisions, 0o700);
  await fsp.rmdir(t.adminMnt).catch(() => undefined);
  await durableRename(staging, final.dir);
  return final;
}
