// A qube's volumes under the pool: create, remove, clone, prepare for start, settle after stop, report.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { BulkheadError } from '../errors/index.js';
import { treeUsage, type TreeUsage } from './du.js';
import { copyTree, durableRename, exists, isDir, mkdirOwned, randomSuffix, removeTree, syncFs } from './fsops.js';
import {
  CREATING_PREFIX,
  TRASH_PREFIX,
  checkVolumeName,
  hasOwnRootfs,
  keepsRevisions,
  rootIsPersistent,
  volumePaths,
  volumePathsOf,
  type VolumeClass,
  type VolumePaths,
} from './layout.js';
import { growImageOffline, imageInfo, isImage, makeImage, waitImageReleased, withImageMounted } from './image.js';
import { commitPrivate, listRevisions, recoverVolumes, type CommitResult, type RecoveryReport } from './revisions.js';
import { shiftTreeOwners } from './shift.js';
import { ENCRYPTED_SUBDIR, MKFS_ENCRYPT_OPTIONS, addKey, removeKey, setPolicy } from '../crypt/fscrypt.js';
import { KEY_FILE_NAME, writeKeyFile } from '../crypt/volume-key.js';
import type { KeyFile } from '../crypt/keyfile.js';
import { clearLowerRoot } from './template-root.js';

/** Inside a qube, `user` is uid/gid 1000. */
export const USER_ID = 1000;
const UID_COUNT = 65536;

export interface CreateVolumesOptions {
  class: VolumeClass;
  /** First host uid of the qube's range (root inside). Directories get owners from it; unset = root. */
  uidBase?: number;
  /** Template/standalone: copy this root filesystem into `rootfs/` (a standalone's own root). */
  copyRootFrom?: string;
  /**
   * Size of the private volume: it is made an ext4 image of this size (a disposable's private
   * volume is a tmpfs made at start instead, so it stays a directory). Unset = a directory, unbounded.
   */
  privateBytes?: number;
  /**
   * Template/standalone: size of the persistent root layer (overlay upper and work), made an ext4
   * image of this size (empty: the start makes `upper/` and `work/` in it). Unset = a directory, unbounded.
   */
  rootBytes?: number;
  /**
   * Encrypt the private image (and a standalone's root image) with this master key (fscrypt): its
   * data lives in the encrypted directory `crypt/` of each image; the key file is written beside
   * the volumes. Needs `privateBytes` (only an image can be encrypted). The caller wipes the key.
   */
  encrypt?: { key: Buffer; keyFile: KeyFile };
  /**
   * Disposable only: false puts its private volume on disk, an ext4 image of privateBytes like an
   * app qube's (`amnesic=false`); otherwise it stays a directory on which a tmpfs is mounted at start.
   */
  amnesic?: boolean;
}

/**
 * Make an empty encrypted image of `bytes` at `img`: an ext4 file system with the encrypt feature
 * whose directory `crypt/` is encrypted with the master key; `fill(dataDir)` lays out what goes
 * into it while the key is present. The key is removed and the image unmounted before returning.
 */
async function makeEncryptedImage(
  img: string,
  bytes: number,
  adminMnt: string,
  enc: { key: Buffer; keyFile: KeyFile },
  dataOwner: { uid: number; gid: number },
  dataMode: number,
  fill: (dataDir: string) => Promise<void>,
): Promise<void> {
  await makeImage(img, bytes, null, { uid: 0, gid: 0 }, MKFS_ENCRYPT_OPTIONS);
  await withImageMounted(img, adminMnt, true, async () => {
    await addKey(adminMnt, enc.key, enc.keyFile.keyId);
    try {
      const data = join(adminMnt, ENCRYPTED_SUBDIR);
      await fsp.mkdir(data, { mode: 0o700 });
      await setPolicy(data, enc.keyFile.keyId);
      await mkdirOwned(data, dataMode, dataOwner);
      await fill(data);
      await syncFs(adminMnt);
    } finally {
      await removeKey(adminMnt, enc.keyFile.keyId);
    }
  });
}

/** Turn the root directory `p.root` (just made, root-only place) into an empty image of `bytes`. */
async function rootToImage(p: VolumePaths, bytes: number): Promise<void> {
  const img = `${p.root}.img-new`;
  await makeImage(img, bytes, null, { uid: 0, gid: 0 });
  await fsp.rm(p.root, { recursive: true, force: true });
  await fsp.rename(img, p.root);
  await mkdirOwned(join(p.dir, 'mnt'), 0o700);
}

/** Turn the private directory `p.private` (just made, root-only place) into an image of `bytes` holding it. */
async function privateToImage(p: VolumePaths, bytes: number, uidBase: number | undefined): Promise<void> {
  const img = `${p.private}.img-new`;
  await makeImage(img, bytes, p.private, owners(uidBase).root ?? { uid: 0, gid: 0 });
  await fsp.rm(p.private, { recursive: true, force: true });
  await fsp.rename(img, p.private);
  await mkdirOwned(join(p.dir, 'mnt'), 0o700);
}

/** The private image (and a standalone's root image) of an encrypted qube, and its key file, in the `.creating-` directory `p`. */
async function encryptedVolumes(p: VolumePaths, opts: CreateVolumesOptions): Promise<void> {
  const enc = opts.encrypt;
  if (!enc) return;
  if (opts.privateBytes === undefined || opts.class === 'disposable' || opts.class === 'template') {
    throw new BulkheadError('ERR_INVALID_VALUE', `a ${opts.class} qube${opts.privateBytes === undefined ? ' without a private_size' : ''} cannot be encrypted`);
  }
  const o = owners(opts.uidBase);
  await mkdirOwned(join(p.dir, 'mnt'), 0o700);
  await makeEncryptedImage(`${p.private}.img-new`, opts.privateBytes, p.adminMnt, enc, o.root ?? { uid: 0, gid: 0 }, 0o755, async (data) => {
    await mkdirOwned(join(data, 'home'), 0o755, o.root);
    await mkdirOwned(join(data, 'home', 'user'), 0o700, o.user);
  });
  await fsp.rm(p.private, { recursive: true, force: true });
  await fsp.rename(`${p.private}.img-new`, p.private);
  if (opts.rootBytes !== undefined && rootIsPersistent(opts.class)) {
    // The runtime makes upper/ and work/ in crypt/ at every start (as in a plain root image).
    await makeEncryptedImage(`${p.root}.img-new`, opts.rootBytes, p.adminMnt, enc, { uid: 0, gid: 0 }, 0o700, async () => {});
    await fsp.rm(p.root, { recursive: true, force: true });
    await fsp.rename(`${p.root}.img-new`, p.root);
  }
  await writeKeyFile(p.dir, enc.keyFile);
}

function owners(uidBase: number | undefined): { root?: { uid: number; gid: number }; user?: { uid: number; gid: number } } {
  if (uidBase === undefined) return {};
  return { root: { uid: uidBase, gid: uidBase }, user: { uid: uidBase + USER_ID, gid: uidBase + USER_ID } };
}

/** Make the pool directory (0700: uppers and private trees hold qube-controlled setuid files). */
export async function ensurePool(poolDir: string): Promise<void> {
  await fsp.mkdir(poolDir, { recursive: true, mode: 0o700 });
  await fsp.chmod(poolDir, 0o700);
}

/** Empty volume directories of a qube, in `dir` (which exists). */
async function makeEmptyVolumes(p: VolumePaths, uidBase: number | undefined, withPrivate: boolean): Promise<void> {
  const o = owners(uidBase);
  if (withPrivate) {
    await mkdirOwned(p.private, 0o755, o.root);
    await mkdirOwned(join(p.private, 'home'), 0o755, o.root);
    await mkdirOwned(p.home, 0o700, o.user);
  }
  await mkdirOwned(p.root, 0o700);
  await mkdirOwned(p.rootUpper, 0o755, o.root);
  await mkdirOwned(p.rootWork, 0o700, o.root);
  await mkdirOwned(p.volatile, 0o755, o.root);
  await mkdirOwned(p.revisions, 0o700);
}

/**
 * Create a qube's volumes: `private` (with `home/user`), `root/{upper,work}`, `volatile`,
 * `revisions/`, and for a template/standalone optionally `rootfs/` copied from another root.
 * Built under `POOL/.creating-NAME-…` and renamed into place: it exists whole or not at all.
 */
export async function createQubeVolumes(poolDir: string, name: string, opts: CreateVolumesOptions): Promise<VolumePaths> {
  checkVolumeName(name);
  await ensurePool(poolDir);
  const final = volumePaths(poolDir, name);
  if (await exists(final.dir)) throw new BulkheadError('ERR_QUBE_EXISTS', `volumes of ${name} already exist at ${final.dir}`);
  if (opts.copyRootFrom !== undefined && !hasOwnRootfs(opts.class)) {
    throw new BulkheadError('ERR_INVALID_VALUE', `a ${opts.class} qube boots from its template and has no own rootfs`);
  }
  const tmpDir = join(poolDir, `${CREATING_PREFIX}${name}-${randomSuffix()}`);
  try {
    await fsp.mkdir(tmpDir, { mode: 0o700 });
    const tmp = volumePathsOf(tmpDir);
    await makeEmptyVolumes(tmp, opts.uidBase, true);
    if (opts.copyRootFrom !== undefined) {
      if (!(await isDir(opts.copyRootFrom))) throw new BulkheadError('ERR_TEMPLATE', `root filesystem ${opts.copyRootFrom} is not a directory`);
      await copyTree(opts.copyRootFrom, tmp.rootfs);
    }
    if (opts.encrypt) {
      await encryptedVolumes(tmp, opts);
    } else {
      const privateInRam = opts.class === 'disposable' && opts.amnesic !== false;
      if (opts.privateBytes !== undefined && !privateInRam) await privateToImage(tmp, opts.privateBytes, opts.uidBase);
      if (opts.rootBytes !== undefined && rootIsPersistent(opts.class)) await rootToImage(tmp, opts.rootBytes);
    }
    await durableRename(tmpDir, final.dir);
  } catch (e) {
    await fsp.rm(tmpDir, { recursive: true, force: true });
    throw e;
  }
  return final;
}

/** Delete a qube's volumes and all revisions (renamed to `.trash-` first). False if there were none. */
export async function removeQubeVolumes(poolDir: string, name: string): Promise<boolean> {
  checkVolumeName(name);
  const p = volumePaths(poolDir, name);
  if (!(await exists(p.dir))) return false;
  await removeTree(p.dir, poolDir);
  return true;
}

export interface CloneVolumesOptions {
  /** The qubes' class; unset = a persistent root when the source has its own rootfs. */
  class?: VolumeClass;
  /** Source qube's uid range start, and the clone's: owners inside its range are moved over. */
  fromUidBase?: number;
  toUidBase?: number;
}

/**
 * Copy a qube's current volumes to a new qube (Qubes `qvm-clone`): `private`, `rootfs` and a
 * persistent root's upper; not revisions, not volatile data. Atomic like creation.
 */
export async function cloneQubeVolumes(poolDir: string, src: string, dst: string, opts: CloneVolumesOptions = {}): Promise<VolumePaths> {
  checkVolumeName(src);
  checkVolumeName(dst);
  const s = volumePaths(poolDir, src);
  const d = volumePaths(poolDir, dst);
  if (!(await isDir(s.dir))) throw new BulkheadError('ERR_NO_SUCH_QUBE', `no volumes of ${src} at ${s.dir}`);
  if (await exists(d.dir)) throw new BulkheadError('ERR_QUBE_EXISTS', `volumes of ${dst} already exist at ${d.dir}`);
  await recoverVolumes(s.dir);
  if (await isImage(s.private)) await waitImageReleased(s.private);
  const rootImage = await isImage(s.root);
  if (rootImage) await waitImageReleased(s.root);
  const tmpDir = join(poolDir, `${CREATING_PREFIX}${dst}-${randomSuffix()}`);
  try {
    await fsp.mkdir(tmpDir, { mode: 0o700 });
    const t = volumePathsOf(tmpDir);
    await copyTree(s.private, t.private);
    if (await isImage(t.private)) await mkdirOwned(join(tmpDir, 'mnt'), 0o700);
    await makeEmptyVolumes(t, opts.toUidBase, false);
    const persistentRoot = opts.class ? rootIsPersistent(opts.class) : await isDir(s.rootfs);
    if (persistentRoot && rootImage) {
      // The image holds upper and work; the work dir is emptied by the start that mounts it.
      await fsp.rm(t.root, { recursive: true, force: true });
      await copyTree(s.root, t.root);
      await mkdirOwned(join(tmpDir, 'mnt'), 0o700);
    } else if (persistentRoot && (await isDir(s.rootUpper))) {
      await fsp.rm(t.root, { recursive: true, force: true });
      await copyTree(s.root, t.root);
      await fsp.rm(t.rootWork, { recursive: true, force: true });
      await mkdirOwned(t.rootWork, 0o700, owners(opts.toUidBase).root);
    }
    if (await isDir(s.rootfs)) await copyTree(s.rootfs, t.rootfs);
    // An encrypted qube's clone shares its master key and passphrase (Qubes' clone copies the volume as it is).
    if (await exists(join(s.dir, KEY_FILE_NAME))) await copyTree(join(s.dir, KEY_FILE_NAME), join(tmpDir, KEY_FILE_NAME));
    if (opts.fromUidBase !== undefined && opts.toUidBase !== undefined && opts.fromUidBase !== opts.toUidBase) {
      const shift = { fromBase: opts.fromUidBase, toBase: opts.toUidBase, count: UID_COUNT };
      if (await isImage(t.private)) {
        // Only root can reach the clone's .creating- directory, and nothing else mounts this copy.
        await withImageMounted(t.private, t.adminMnt, true, async () => {
          await shiftTreeOwners(t.adminMnt, shift);
        });
      } else {
        await shiftTreeOwners(t.private, shift);
      }
      if (await isImage(t.root)) {
        await withImageMounted(t.root, t.adminMnt, true, async () => {
          await shiftTreeOwners(t.adminMnt, shift);
        });
      } else {
        await shiftTreeOwners(t.root, shift);
      }
    }
    await durableRename(tmpDir, d.dir);
  } catch (e) {
    await fsp.rm(tmpDir, { recursive: true, force: true });
    throw e;
  }
  return d;
}

/** Replace a directory by an empty one with the same owner and mode (old one renamed, then deleted). */
async function wipeDir(dir: string, trashDir: string, fallbackOwner?: { uid: number; gid: number }): Promise<void> {
  let owner = fallbackOwner;
  let mode = 0o755;
  try {
    const st = await fsp.lstat(dir);
    owner = fallbackOwner ?? { uid: st.uid, gid: st.gid };
    mode = st.mode & 0o7777;
  } catch {
    /* absent: create fresh */
  }
  await removeTree(dir, trashDir);
  await mkdirOwned(dir, mode, owner);
}

/** Empty the scratch volume (Qubes wipes `volatile` at every start). */
export async function wipeVolatile(poolDir: string, name: string, uidBase?: number): Promise<void> {
  checkVolumeName(name);
  const p = volumePaths(poolDir, name);
  if (!(await isDir(p.dir))) throw new BulkheadError('ERR_NO_SUCH_QUBE', `no volumes of ${name} at ${p.dir}`);
  await wipeDir(p.volatile, p.dir, owners(uidBase).root);
}

export interface StartVolumesOptions {
  class: VolumeClass;
  uidBase?: number;
  /** The private volume's size now: an image smaller than this is grown before the start. */
  privateBytes?: number;
  /** The persistent root layer's size now (template/standalone with an image root volume): grown likewise. */
  rootBytes?: number;
}

/**
 * Before a start: finish any interrupted operation, empty `volatile`, and for app/disposable
 * qubes start from an empty root upper. Returns the paths the runtime mounts.
 */
export async function prepareVolumesForStart(poolDir: string, name: string, opts: StartVolumesOptions): Promise<VolumePaths> {
  checkVolumeName(name);
  const p = volumePaths(poolDir, name);
  const image = await isImage(p.private);
  if (!image && !(await isDir(p.private))) throw new BulkheadError('ERR_VOLUME', `no private volume for ${name} at ${p.private}`);
  await recoverVolumes(p.dir);
  if (image && opts.privateBytes !== undefined) await growImageOffline(p.private, opts.privateBytes);
  const o = owners(opts.uidBase).root;
  await wipeDir(p.volatile, p.dir, o);
  if (rootIsPersistent(opts.class) && (await isImage(p.root))) {
    // Upper and work live inside the image; the runtime empties work once it has mounted it.
    if (opts.rootBytes !== undefined) await growImageOffline(p.root, opts.rootBytes);
  } else if (!rootIsPersistent(opts.class)) {
    await wipeDir(p.rootUpper, p.dir, o);
    await wipeDir(p.rootWork, p.dir, o);
  } else {
    // overlayfs needs an empty work dir; its contents never carry data.
    await wipeDir(p.rootWork, p.dir, o);
    if (!(await isDir(p.rootUpper))) await mkdirOwned(p.rootUpper, 0o755, o);
  }
  return p;
}

export interface StopVolumesOptions {
  class: VolumeClass;
  /** Qubes' `revisions_to_keep` (default 1). */
  revisionsToKeep?: number;
}

/**
 * After a stop: discard a volatile root's upper and the scratch volume, then commit the
 * private volume as a revision. Returns the commit, or null for a disposable (the caller
 * removes a disposable's volumes altogether).
 */
export async function settleVolumesAfterStop(poolDir: string, name: string, opts: StopVolumesOptions): Promise<CommitResult | null> {
  checkVolumeName(name);
  const p = volumePaths(poolDir, name);
  if (!rootIsPersistent(opts.class)) {
    await wipeDir(p.rootUpper, p.dir);
    await wipeDir(p.rootWork, p.dir);
    await clearLowerRoot(p.dir);
  }
  await wipeDir(p.volatile, p.dir);
  // Also before a non-amnesic disposable's image is deleted: no loop device may still write to it.
  if (await isImage(p.private)) await waitImageReleased(p.private);
  if (!keepsRevisions(opts.class)) return null;
  return commitPrivate(p.dir, opts.revisionsToKeep ?? 1);
}

export type VolumeKind = 'private' | 'root' | 'volatile' | 'rootfs';

export interface VolumeInfo {
  kind: VolumeKind;
  path: string;
  /** Whether its content survives a stop. */
  persistent: boolean;
  usage: TreeUsage;
  /** What bounds it: an image (its size), a tmpfs made at start (its size), or nothing (null). */
  bound: 'image' | 'tmpfs' | null;
  /** Its size limit in bytes (image length); null when unbounded or set by the caller (tmpfs sizes are properties). */
  sizeBytes: number | null;
  /** Private volume only: its revisions, oldest first. */
  revisions?: { name: string; createdAt: Date; path: string; usage: TreeUsage }[];
}

export interface QubeVolumesInfo {
  name: string;
  dir: string;
  volumes: VolumeInfo[];
  usage: TreeUsage;
}

/** Sizes and revisions of a qube's volumes (for `volume list` and `volume revisions`). */
export async function volumeInfo(poolDir: string, name: string, cls: VolumeClass): Promise<QubeVolumesInfo> {
  checkVolumeName(name);
  const p = volumePaths(poolDir, name);
  if (!(await isDir(p.dir))) throw new BulkheadError('ERR_NO_SUCH_QUBE', `no volumes of ${name} at ${p.dir}`);
  const revs = await Promise.all((await listRevisions(p.dir)).map(async (r) => ({ ...r, usage: await treeUsage(r.path) })));
  const image = await isImage(p.private);
  const privSize = image ? (await imageInfo(p.private)).sizeBytes : null;
  const discarded = !rootIsPersistent(cls);
  const rootImage = !discarded && (await isImage(p.root));
  const rootSize = rootImage ? (await imageInfo(p.root)).sizeBytes : null;
  const volumes: VolumeInfo[] = [
    {
      kind: 'private',
      path: p.private,
      persistent: cls !== 'disposable',
      usage: await treeUsage(p.private),
      revisions: revs,
      bound: image ? 'image' : cls === 'disposable' ? 'tmpfs' : null,
      sizeBytes: privSize,
    },
    // The discarded root layer of app qubes and disposables lives in the volatile tmpfs while they run.
    // A template's or standalone's persistent root layer is an image (older qubes: an unbounded directory).
    {
      kind: 'root',
      path: p.root,
      persistent: !discarded,
      usage: await treeUsage(p.root),
      bound: discarded ? 'tmpfs' : rootImage ? 'image' : null,
      sizeBytes: rootSize,
    },
    { kind: 'volatile', path: p.volatile, persistent: false, usage: await treeUsage(p.volatile), bound: discarded ? 'tmpfs' : null, sizeBytes: null },
  ];
  if (await isDir(p.rootfs)) volumes.push({ kind: 'rootfs', path: p.rootfs, persistent: true, usage: await treeUsage(p.rootfs), bound: null, sizeBytes: null });
  return { name, dir: p.dir, volumes, usage: await treeUsage(p.dir) };
}

/**
 * After a crash: remove half-made qube directories and unfinished deletions in the pool, then
 * recover every qube's volumes. Returns the reports that did something, by qube name.
 */
export async function recoverPool(poolDir: string): Promise<Record<string, RecoveryReport>> {
  const out: Record<string, RecoveryReport> = {};
  let names: string[];
  try {
    names = await fsp.readdir(poolDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw e;
  }
  for (const n of names) {
    const full = join(poolDir, n);
    if (n.startsWith(CREATING_PREFIX) || n.startsWith(TRASH_PREFIX)) {
      await fsp.rm(full, { recursive: true, force: true });
      out[n] = { finished: n.startsWith(TRASH_PREFIX) ? [`delete ${n}`] : [], rolledBack: n.startsWith(CREATING_PREFIX) ? [`create ${n}`] : [] };
    } else if (await isDir(full)) {
      const r = await recoverVolumes(full);
      if (r.finished.length || r.rolledBack.length) out[n] = r;
    }
  }
  return out;
}

/**
 * Whether the private volume holds any file (not counting directories). An image is mounted
 * read-only, noexec, at a root-only place to look; the qube must be stopped.
 */
export async function privateHoldsData(poolDir: string, name: string): Promise<boolean> {
  checkVolumeName(name);
  const p = volumePaths(poolDir, name);
  if (!(await isImage(p.private))) return (await treeUsage(p.private)).nonDirs > 0;
  return withImageMounted(p.private, p.adminMnt, false, async () => (await treeUsage(p.adminMnt)).nonDirs > 0);
}
