// Template root commits (Qubes semantics): a stopped template's changes become the root its app qubes start from; earlier roots are kept as revisions.
//
// A template writes to its overlay upper; `rootfs/` is what app qubes boot from. At the template's
// stop the merged view (upper over rootfs) is copied to a new directory beside `rootfs/`, then two
// renames publish it: `rootfs/` → `root-revisions/REV`, new → `rootfs/`. A root is never changed in
// place, so app qubes still running from an older root (their overlay holds the old directory) keep
// their view until they restart; a revision is deleted only when no qube records it as its lower.
// A journal written before the renames makes recovery roll forward; before it, recovery rolls back.
import { promises as fsp } from 'node:fs';
import { basename, join } from 'node:path';
import { BulkheadError } from '../errors/index.js';
import { run } from '../exec/index.js';
import { durableRename, exists, isDir, mkdirOwned, randomSuffix, readTextIfExists, removeTree, syncFs, writeFileAtomic } from './fsops.js';
import {
  INCOMING_PREFIX,
  MERGE_PREFIX,
  parseRevisionName,
  ROOT_IMAGE_PREFIX,
  revisionName,
  revisionsToPrune,
  sortRevisionNames,
  volumePathsOf,
} from './layout.js';
import { shiftTreeOwners } from './shift.js';
import { imageInfo, isImage, makeImage, releaseSharedMount, withImageMountedShared } from './image.js';

const UID_COUNT = 65536;
export { MERGE_PREFIX, ROOT_IMAGE_PREFIX };
const ROOT_INCOMING = `${INCOMING_PREFIX}rootfs-commit-`;

interface RootJournal {
  op: 'root-commit' | 'root-revert';
  version: 1;
  /** root-commit: the new root's directory name (in the volume directory). */
  incoming?: string;
  /** root-revert: the revision that becomes the root. */
  revision?: string;
  /** The name the current root gets in root-revisions/. */
  saveAs: string;
}

export interface RootRevision {
  name: string;
  createdAt: Date;
  path: string;
}

export interface RootCommitResult {
  /** The revision the previous root was saved as, or null when the upper held nothing to commit. */
  savedAs: string | null;
  pruned: string[];
}

/** Identity of a directory (survives renames): `dev:ino`. */
async function dirId(p: string): Promise<string> {
  const st = await fsp.stat(p);
  return `${st.dev}:${st.ino}`;
}

/** Earlier roots of a template, oldest first. */
export async function listRootRevisions(volDir: string): Promise<RootRevision[]> {
  const dir = volumePathsOf(volDir).rootRevisions;
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return sortRevisionNames(names).map((name) => ({ name, createdAt: parseRevisionName(name)!, path: join(dir, name) }));
}

async function freeRootRevisionName(volDir: string, at: Date): Promise<string> {
  const dir = volumePathsOf(volDir).rootRevisions;
  for (let seq = 0; ; seq++) {
    const n = revisionName(at, seq);
    if (!(await exists(join(dir, n)))) return n;
  }
}

/**
 * Run `fn` on the template's upper: the directory `root/upper`, or, for an image root volume, the
 * upper inside it, mounted read-only (nosuid, nodev, noexec) below a shared bind mount at
 * `.root-image-…` for as long as `fn` runs. The template must be stopped (its image unmounted).
 */
async function withUpper<T>(volDir: string, fn: (upper: string) => Promise<T>): Promise<T> {
  const p = volumePathsOf(volDir);
  if (!(await isImage(p.root))) return fn(p.rootUpper);
  return withImageMountedShared(p.root, join(volDir, `${ROOT_IMAGE_PREFIX}${randomSuffix()}`), 'ro', (fs) => fn(join(fs, 'upper')));
}

async function hasEntries(dir: string): Promise<boolean> {
  try {
    return (await fsp.readdir(dir)).length > 0;
  } catch {
    return false;
  }
}

/** Whether the template's upper holds anything (a change since the last commit). */
export async function upperHasChanges(volDir: string): Promise<boolean> {
  return withUpper(volDir, hasEntries);
}

const COPY_BATCH = 256;

/**
 * Make `target/rel` what the merged view shows, for a directory `rel` present in the upper (the
 * only directories that can differ). Only lstat is used on the qube-written upper and on the
 * target: nothing is followed, and a parent is a real directory before anything goes below it.
 */
async function applyUpper(upper: string, merged: string, target: string, rel: string): Promise<void> {
  const u = join(upper, rel);
  const m = join(merged, rel);
  const t = join(target, rel);
  const shown = new Set(await fsp.readdir(m));
  // Deleted by the template (a whiteout) or hidden by an opaque directory: absent from the merged view.
  for (const n of await fsp.readdir(t)) if (!shown.has(n)) await fsp.rm(join(t, n), { recursive: true, force: true });
  const copies: string[] = [];
  for (const n of await fsp.readdir(u)) {
    if (!shown.has(n)) continue; // a whiteout
    const st = await fsp.lstat(join(u, n));
    const have = await fsp.lstat(join(t, n)).catch(() => null);
    if (st.isDirectory()) {
      if (have && !have.isDirectory()) await fsp.rm(join(t, n), { recursive: true, force: true });
      if (!have?.isDirectory()) await fsp.mkdir(join(t, n), { mode: 0o700 });
      await applyUpper(upper, merged, target, join(rel, n));
    } else {
      // A new inode replaces the shared one: the old root keeps its file.
      if (have) await fsp.rm(join(t, n), { recursive: true, force: true });
      copies.push(join(m, n));
    }
  }
  for (let i = 0; i < copies.length; i += COPY_BATCH) {
    await run('cp', ['-a', '--reflink=auto', '-t', t, '--', ...copies.slice(i, i + COPY_BATCH)], { timeoutMs: 30 * 60_000 });
  }
  // The directory's own attributes as the template left them (after its entries changed).
  const ds = await fsp.lstat(m);
  await fsp.lchown(t, ds.uid, ds.gid);
  await fsp.chmod(t, ds.mode & 0o7777);
  await fsp.utimes(t, ds.atime, ds.mtime);
}

/** Overlay options are comma- and colon-separated: refuse paths that would change their meaning. */
function overlayPath(p: string): string {
  if (/[,:\\\n]/.test(p)) throw new BulkheadError('ERR_VOLUME', `cannot commit a template root under ${p}: the path holds ',', ':' or '\\'`);
  return p;
}

/**
 * The single steps of a root commit and a root revert, exported so tests can stop between any
 * two of them (as a crash would) and check that recovery leaves the old or the new root.
 */
export const rootSteps = {
  /**
   * Commit 1: build the new root at `.incoming-rootfs-commit-…`: a hard-link copy of `rootfs/`
   * with the upper's changes applied as the kernel sees them (upper and rootfs mounted as the two
   * lowers of a read-only overlay: whiteouts and opaque directories applied, nothing written to
   * either); then owners in the template's uid range move to the real ids.
   */
  async buildMerged(volDir: string, uidBase: number): Promise<string> {
    const p = volumePathsOf(volDir);
    const name = `${ROOT_INCOMING}${randomSuffix()}`;
    const incoming = join(volDir, name);
    const mnt = join(volDir, `${MERGE_PREFIX}${randomSuffix()}`);
    await fsp.mkdir(mnt, { mode: 0o700 });
    try {
      await withUpper(volDir, async (upper) => {
        await run('mount', ['-t', 'overlay', 'overlay', '-o', `ro,nosuid,nodev,lowerdir=${overlayPath(upper)}:${overlayPath(p.rootfs)}`, mnt], {
          timeoutMs: 60_000,
        });
        try {
          // Unchanged files share their inode with the current root. Safe because no root is ever
          // written in place: the template writes to its upper, app qubes to theirs, and a change
          // reaches a root only as a new file made below.
          await run('cp', ['-al', '--', p.rootfs, incoming], { timeoutMs: 30 * 60_000 });
          await applyUpper(upper, mnt, incoming, '');
        } finally {
          await run('umount', [mnt], { timeoutMs: 60_000 });
        }
      });
      // Only new files can carry ids of the range; the shared ones have the real ids already.
      await shiftTreeOwners(incoming, { fromBase: uidBase, toBase: 0, count: UID_COUNT });
      await syncFs(incoming);
    } catch (e) {
      await fsp.rm(incoming, { recursive: true, force: true });
      throw e;
    } finally {
      await fsp.rmdir(mnt).catch(() => undefined);
    }
    return name;
  },
  /** Commit 2 / revert 1: record the intent; from here on recovery rolls forward. */
  async writeJournal(volDir: string, j: RootJournal): Promise<void> {
    await writeFileAtomic(volumePathsOf(volDir).rootJournal, JSON.stringify(j) + '\n');
  },
  /** Commit 3 / revert 2: the current root becomes revision `saveAs`. */
  async saveCurrent(volDir: string, saveAs: string): Promise<void> {
    const p = volumePathsOf(volDir);
    await fsp.mkdir(p.rootRevisions, { recursive: true, mode: 0o700 });
    await durableRename(p.rootfs, join(p.rootRevisions, saveAs));
  },
  /** Commit 4: the new root becomes `rootfs/`. */
  async publishMerged(volDir: string, incoming: string): Promise<void> {
    await durableRename(join(volDir, incoming), volumePathsOf(volDir).rootfs);
  },
  /** Revert 3: the chosen revision becomes `rootfs/` (a rename: qubes running from it keep it). */
  async restoreRevision(volDir: string, revision: string): Promise<void> {
    const p = volumePathsOf(volDir);
    await durableRename(join(p.rootRevisions, revision), p.rootfs);
  },
  /**
   * Commit 5: the upper's changes are in the root now; start the next run from an empty upper
   * (same owner and mode). An image root volume is replaced by a fresh empty image of the same
   * size (made aside, renamed over): no mount needed, and the host gets back every block the old
   * upper took; the start makes `upper/` and `work/` in it.
   */
  async emptyUpper(volDir: string): Promise<void> {
    const p = volumePathsOf(volDir);
    if (await isImage(p.root)) {
      const fresh = join(volDir, `${INCOMING_PREFIX}root-image-${randomSuffix()}`);
      try {
        await makeImage(fresh, (await imageInfo(p.root)).sizeBytes, null, { uid: 0, gid: 0 });
        await syncFs(fresh);
        await durableRename(fresh, p.root);
      } catch (e) {
        await fsp.rm(fresh, { force: true });
        throw e;
      }
      return;
    }
    const st = await fsp.lstat(p.rootUpper).catch(() => null);
    if (!st) return; // a start makes it again
    await removeTree(p.rootUpper, volDir);
    await mkdirOwned(p.rootUpper, st.mode & 0o7777, { uid: st.uid, gid: st.gid });
  },
  /** Last step: forget the intent. */
  async clearJournal(volDir: string): Promise<void> {
    await fsp.rm(volumePathsOf(volDir).rootJournal, { force: true });
  },
};

/**
 * Commit a stopped template's root: its upper's changes become `rootfs/`, the previous root is
 * kept as a revision, and revisions beyond `keep` that no qube uses (`inUse`: `dev:ino` of
 * lowers recorded by running qubes) are deleted. Nothing happens when the upper is empty.
 */
export async function commitTemplateRoot(volDir: string, opts: { uidBase: number; keep: number; inUse: ReadonlySet<string> }): Promise<RootCommitResult> {
  await recoverRoot(volDir);
  const p = volumePathsOf(volDir);
  if (!(await isDir(p.rootfs))) throw new BulkheadError('ERR_VOLUME', `no root filesystem at ${p.rootfs}`);
  if (!(await upperHasChanges(volDir))) return { savedAs: null, pruned: await pruneRootRevisions(volDir, opts.keep, opts.inUse) };
  const incoming = await rootSteps.buildMerged(volDir, opts.uidBase);
  const saveAs = await freeRootRevisionName(volDir, new Date());
  await rootSteps.writeJournal(volDir, { op: 'root-commit', version: 1, incoming, saveAs });
  await rootSteps.saveCurrent(volDir, saveAs);
  await rootSteps.publishMerged(volDir, incoming);
  await rootSteps.emptyUpper(volDir);
  await rootSteps.clearJournal(volDir);
  return { savedAs: saveAs, pruned: await pruneRootRevisions(volDir, opts.keep, opts.inUse) };
}

/**
 * Make an earlier root current again (`volume revert TEMPLATE root`); the current one is kept as
 * a revision. The template must be stopped and its changes committed. `revision` defaults to the newest.
 */
export async function revertTemplateRoot(volDir: string, revision?: string): Promise<{ restored: string; savedAs: string }> {
  await recoverRoot(volDir);
  const have = (await listRootRevisions(volDir)).map((r) => r.name);
  const want = revision ?? have[have.length - 1];
  if (!want || !have.includes(want)) {
    throw new BulkheadError(
      'ERR_INVALID_VALUE',
      `no revision ${JSON.stringify(revision ?? '')} of the root volume (revisions: ${have.length ? have.join(', ') : 'none'})`,
    );
  }
  if (await upperHasChanges(volDir)) {
    throw new BulkheadError('ERR_VOLUME', 'the template has changes that are not committed yet (its last stop did not finish); start and stop it, then revert');
  }
  const saveAs = await freeRootRevisionName(volDir, new Date());
  await rootSteps.writeJournal(volDir, { op: 'root-revert', version: 1, revision: want, saveAs });
  await rootSteps.saveCurrent(volDir, saveAs);
  await rootSteps.restoreRevision(volDir, want);
  await rootSteps.clearJournal(volDir);
  return { restored: want, savedAs: saveAs };
}

/** Delete the oldest root revisions beyond `keep`, except those a qube still runs from. */
export async function pruneRootRevisions(volDir: string, keep: number, inUse: ReadonlySet<string>): Promise<string[]> {
  const revs = await listRootRevisions(volDir);
  const doomed = revisionsToPrune(
    revs.map((r) => r.name),
    keep,
  );
  const pruned: string[] = [];
  for (const n of doomed) {
    const path = join(volumePathsOf(volDir).rootRevisions, n);
    if (inUse.has(await dirId(path))) continue; // a running app qube's lower: kept until it stops
    await removeTree(path, volDir);
    pruned.push(n);
  }
  return pruned;
}

/** Record which root a qube starts from (its lower layer), so that root is not deleted while the qube runs. */
export async function recordLowerRoot(volDir: string, lowerDir: string): Promise<void> {
  await writeFileAtomic(volumePathsOf(volDir).lowerRecord, JSON.stringify({ lower: await dirId(lowerDir) }) + '\n');
}

/** Forget the record (the qube stopped). */
export async function clearLowerRoot(volDir: string): Promise<void> {
  await fsp.rm(volumePathsOf(volDir).lowerRecord, { force: true });
}

/** `dev:ino` of every root recorded as a lower by a qube of the pool. */
export async function rootsInUse(poolDir: string): Promise<Set<string>> {
  const out = new Set<string>();
  let names: string[];
  try {
    names = await fsp.readdir(poolDir);
  } catch {
    return out;
  }
  for (const n of names) {
    if (n.startsWith('.')) continue;
    try {
      const j = JSON.parse(await fsp.readFile(volumePathsOf(join(poolDir, n)).lowerRecord, 'utf8')) as { lower?: unknown };
      if (typeof j.lower === 'string') out.add(j.lower);
    } catch {
      /* no record: not running from a template */
    }
  }
  return out;
}

async function readRootJournal(path: string): Promise<RootJournal | null> {
  const text = await readTextIfExists(path);
  if (text === null) return null;
  let o: Partial<RootJournal>;
  try {
    o = JSON.parse(text) as Partial<RootJournal>;
  } catch {
    throw new BulkheadError('ERR_VOLUME', `${path}: not valid JSON; cannot tell how to finish the interrupted root commit`);
  }
  const okName = (s: unknown) => typeof s === 'string' && basename(s) === s;
  const ok =
    typeof o.saveAs === 'string' &&
    parseRevisionName(o.saveAs) !== null &&
    ((o.op === 'root-commit' && okName(o.incoming) && o.incoming!.startsWith(ROOT_INCOMING)) ||
      (o.op === 'root-revert' && okName(o.revision) && parseRevisionName(o.revision!) !== null));
  if (!ok) throw new BulkheadError('ERR_VOLUME', `${path}: not a root journal`);
  return o as RootJournal;
}

/**
 * After a crash: unmount merged views left mounted, and finish a root commit or revert whose
 * journal was written (before it, the unpublished copy is removed by the caller's sweep of
 * `.incoming-` entries). Leaves `rootfs/` the old root or the new one, never a mix.
 */
export async function recoverRoot(volDir: string): Promise<{ finished: string[]; rolledBack: string[] }> {
  const p = volumePathsOf(volDir);
  const report = { finished: [] as string[], rolledBack: [] as string[] };
  for (const n of await fsp.readdir(volDir).catch(() => [] as string[])) {
    if (!n.startsWith(MERGE_PREFIX)) continue;
    const mnt = join(volDir, n);
    await run('umount', [mnt], { allowFail: true, timeoutMs: 60_000 });
    // rmdir, never rm -r: a still-mounted view must not be emptied (it is the template's root).
    await fsp.rmdir(mnt);
    report.rolledBack.push(`root commit: merged view ${n} unmounted`);
  }
  // After the merged views (which hold the upper): an image root volume the commit had mounted.
  for (const n of await fsp.readdir(volDir).catch(() => [] as string[])) {
    if (!n.startsWith(ROOT_IMAGE_PREFIX)) continue;
    await releaseSharedMount(join(volDir, n), p.root);
    report.rolledBack.push(`root commit: root volume image unmounted from ${n}`);
  }
  const j = await readRootJournal(p.rootJournal);
  if (!j) return report;
  const haveRoot = await exists(p.rootfs);
  const saved = await exists(join(p.rootRevisions, j.saveAs));
  if (j.op === 'root-commit') {
    const haveNew = await exists(join(volDir, j.incoming!));
    if (haveNew && haveRoot) {
      if (saved) throw new BulkheadError('ERR_VOLUME', `${volDir}: rootfs, ${j.saveAs} and the new root all exist; refusing to guess`);
      await rootSteps.saveCurrent(volDir, j.saveAs);
    }
    if (haveNew) await rootSteps.publishMerged(volDir, j.incoming!);
    else if (!haveRoot) throw new BulkheadError('ERR_VOLUME', `${volDir}: interrupted root commit left neither the root nor the new root`);
    await rootSteps.emptyUpper(volDir);
    report.finished.push(`root commit (previous root saved as ${j.saveAs})`);
  } else {
    const haveRev = await exists(join(p.rootRevisions, j.revision!));
    if (haveRev && haveRoot) {
      if (saved) throw new BulkheadError('ERR_VOLUME', `${volDir}: rootfs, ${j.saveAs} and ${j.revision} all exist; refusing to guess`);
      await rootSteps.saveCurrent(volDir, j.saveAs);
    }
    if (haveRev) await rootSteps.restoreRevision(volDir, j.revision!);
    else if (!haveRoot) throw new BulkheadError('ERR_VOLUME', `${volDir}: interrupted root revert left no root`);
    report.finished.push(`root revert to ${j.revision} (previous root saved as ${j.saveAs})`);
  }
  await rootSteps.clearJournal(volDir);
  return report;
}
