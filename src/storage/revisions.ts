// Revisions of a qube's private volume: commit on stop, list, revert by rename, and crash recovery.
//
// The private volume is one unit, a directory tree or an ext4 image file; a revision is a copy of
// that unit (a sparse copy for an image), so every step below works the same on both.
//
// Nothing is rewritten in place. A commit copies the live tree to `revisions/.incoming-REV` and
// publishes it with one rename; a revert builds the restored tree aside, records its intent in a
// journal, then swaps by two renames (the current tree becomes a revision, so nothing is lost).
// `recoverVolumes` turns any crash point into either the old or the new complete state.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { BulkheadError } from '../errors/index.js';
import { isImage } from './image.js';
import { copyTree, durableRename, exists, isDir, readTextIfExists, removeTree, syncFs, writeFileAtomic } from './fsops.js';
import { recoverRoot } from './template-root.js';
import { INCOMING_PREFIX, TRASH_PREFIX, parseRevisionName, revisionName, revisionsToPrune, sortRevisionNames, volumePathsOf } from './layout.js';

export interface Revision {
  name: string;
  createdAt: Date;
  path: string;
}

export interface CommitResult {
  /** The new revision, or null when `revisionsToKeep` is 0 (nothing is kept). */
  revision: string | null;
  pruned: string[];
}

export interface RevertResult {
  restored: string;
  /** The revision the state before the revert was saved as. */
  savedAs: string;
}

export interface RecoveryReport {
  /** What recovery completed (a revert whose intent was recorded, deletions under way). */
  finished: string[];
  /** What recovery undid (copies that had not been published). */
  rolledBack: string[];
}

interface RevertJournal {
  op: 'revert';
  version: 1;
  revision: string;
  saveAs: string;
}

/** Committed revisions of the private volume, oldest first. */
export async function listRevisions(volDir: string): Promise<Revision[]> {
  const p = volumePathsOf(volDir);
  let names: string[];
  try {
    names = await fsp.readdir(p.revisions);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return sortRevisionNames(names).map((name) => ({
    name,
    createdAt: parseRevisionName(name)!,
    path: join(p.revisions, name),
  }));
}

/** A revision name for `at` that is free both as a revision and as an incoming copy. */
async function freeRevisionName(volDir: string, at: Date): Promise<string> {
  const p = volumePathsOf(volDir);
  for (let seq = 0; ; seq++) {
    const name = revisionName(at, seq);
    if (!(await exists(join(p.revisions, name))) && !(await exists(join(p.revisions, INCOMING_PREFIX + name)))) {
      return name;
    }
  }
}

async function requirePrivate(volDir: string): Promise<void> {
  const priv = volumePathsOf(volDir).private;
  if (!(await isDir(priv)) && !(await isImage(priv))) {
    throw new BulkheadError('ERR_VOLUME', `no private volume at ${volumePathsOf(volDir).private}`);
  }
}

/**
 * The single steps of a commit and a revert. Exported so tests can stop between any two of
 * them (as a crash would) and check that `recoverVolumes` completes or undoes the operation.
 */
export const steps = {
  /** Commit 1: copy the live tree to `revisions/.incoming-REV`; returns REV. */
  async snapshotAside(volDir: string, at = new Date()): Promise<string> {
    const p = volumePathsOf(volDir);
    await fsp.mkdir(p.revisions, { recursive: true, mode: 0o700 });
    const name = await freeRevisionName(volDir, at);
    await copyTree(p.private, join(p.revisions, INCOMING_PREFIX + name));
    return name;
  },
  /** Commit 2: make the copy durable, then publish it with one rename. */
  async publishSnapshot(volDir: string, name: string): Promise<void> {
    const p = volumePathsOf(volDir);
    const incoming = join(p.revisions, INCOMING_PREFIX + name);
    await syncFs(incoming);
    await durableRename(incoming, join(p.revisions, name));
  },
  /** Commit 3: delete the oldest revisions beyond `keep` (each renamed to `.trash-` first). */
  async pruneRevisions(volDir: string, keep: number): Promise<string[]> {
    const p = volumePathsOf(volDir);
    const names = (await listRevisions(volDir)).map((r) => r.name);
    const doomed = revisionsToPrune(names, keep);
    for (const n of doomed) await removeTree(join(p.revisions, n), volDir);
    return doomed;
  },
  /** Revert 1: copy the chosen revision to `.private-restore`. */
  async prepareRestore(volDir: string, revision: string): Promise<void> {
    const p = volumePathsOf(volDir);
    await copyTree(join(p.revisions, revision), p.restore);
    await syncFs(p.restore);
  },
  /** Revert 2: record the intent; from here on recovery rolls forward. */
  async writeJournal(volDir: string, revision: string, saveAs: string): Promise<void> {
    const j: RevertJournal = { op: 'revert', version: 1, revision, saveAs };
    await writeFileAtomic(volumePathsOf(volDir).journal, JSON.stringify(j) + '\n');
  },
  /** Revert 3: the current tree becomes revision `saveAs`. */
  async swapOutCurrent(volDir: string, saveAs: string): Promise<void> {
    const p = volumePathsOf(volDir);
    await fsp.mkdir(p.revisions, { recursive: true, mode: 0o700 });
    await durableRename(p.private, join(p.revisions, saveAs));
  },
  /** Revert 4: the restored tree becomes the live one. */
  async swapInRestored(volDir: string): Promise<void> {
    const p = volumePathsOf(volDir);
    await durableRename(p.restore, p.private);
  },
  /** Revert 5: done; forget the intent. */
  async clearJournal(volDir: string): Promise<void> {
    const p = volumePathsOf(volDir);
    await fsp.rm(p.journal, { force: true });
  },
};

/**
 * Commit the private volume on stop: snapshot it as a new revision and keep at most
 * `revisionsToKeep` revisions (0 = keep none, Qubes' meaning). The qube must be stopped.
 */
export async function commitPrivate(volDir: string, revisionsToKeep = 1): Promise<CommitResult> {
  if (!Number.isInteger(revisionsToKeep) || revisionsToKeep < 0) {
    throw new BulkheadError('ERR_INVALID_VALUE', `revisions_to_keep must be a whole number ≥ 0, got ${revisionsToKeep}`);
  }
  await recoverVolumes(volDir);
  await requirePrivate(volDir);
  let revision: string | null = null;
  if (revisionsToKeep > 0) {
    revision = await steps.snapshotAside(volDir);
    await steps.publishSnapshot(volDir, revision);
  }
  const pruned = await steps.pruneRevisions(volDir, revisionsToKeep);
  return { revision, pruned };
}

/**
 * Restore the private volume to `revision`. The current tree is kept as a new revision, so a
 * revert can itself be reverted. Does not prune (the next commit does). The qube must be stopped.
 */
export async function revertPrivate(volDir: string, revision: string): Promise<RevertResult> {
  await recoverVolumes(volDir);
  await requirePrivate(volDir);
  const have = (await listRevisions(volDir)).map((r) => r.name);
  if (!have.includes(revision)) {
    const list = have.length ? have.join(', ') : 'none';
    throw new BulkheadError('ERR_INVALID_VALUE', `no revision ${JSON.stringify(revision)} of the private volume (revisions: ${list})`);
  }
  const saveAs = await freeRevisionName(volDir, new Date());
  await steps.prepareRestore(volDir, revision);
  await steps.writeJournal(volDir, revision, saveAs);
  await steps.swapOutCurrent(volDir, saveAs);
  await steps.swapInRestored(volDir);
  await steps.clearJournal(volDir);
  return { restored: revision, savedAs: saveAs };
}

async function readJournal(path: string): Promise<RevertJournal | null> {
  const text = await readTextIfExists(path);
  if (text === null) return null;
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    throw new BulkheadError('ERR_VOLUME', `${path}: not valid JSON; cannot tell how to finish the interrupted revert`);
  }
  const o = j as Partial<RevertJournal>;
  if (o.op !== 'revert' || typeof o.revision !== 'string' || typeof o.saveAs !== 'string' || parseRevisionName(o.saveAs) === null) {
    throw new BulkheadError('ERR_VOLUME', `${path}: not a revert journal`);
  }
  return o as RevertJournal;
}

/**
 * Bring a volume directory back to a complete state after a crash: finish a revert whose
 * intent was recorded, undo copies that were never published, finish deletions. Idempotent;
 * cheap when there is nothing to do (a few readdirs).
 */
export async function recoverVolumes(volDir: string): Promise<RecoveryReport> {
  const p = volumePathsOf(volDir);
  // A template's root first: its journal names the `.incoming-` tree that the sweep below would delete.
  const report: RecoveryReport = await recoverRoot(volDir);

  const journal = await readJournal(p.journal);
  if (journal) {
    const havePrivate = await exists(p.private);
    const haveRestore = await exists(p.restore);
    const savedPath = join(p.revisions, journal.saveAs);
    if (havePrivate && haveRestore) {
      if (await exists(savedPath)) {
        throw new BulkheadError('ERR_VOLUME', `${volDir}: private, ${journal.saveAs} and the restored tree all exist; refusing to guess`);
      }
      await steps.swapOutCurrent(volDir, journal.saveAs);
      await steps.swapInRestored(volDir);
    } else if (!havePrivate && haveRestore) {
      await steps.swapInRestored(volDir);
    } else if (!havePrivate && !haveRestore) {
      throw new BulkheadError('ERR_VOLUME', `${volDir}: interrupted revert left neither the private volume nor the restored tree`);
    }
    await steps.clearJournal(volDir);
    report.finished.push(`revert to ${journal.revision} (previous state saved as ${journal.saveAs})`);
  } else if (await exists(p.restore)) {
    await fsp.rm(p.restore, { recursive: true, force: true });
    report.rolledBack.push('revert: unrecorded restored tree removed');
  }

  for (const n of await readdirOrEmpty(p.revisions)) {
    if (n.startsWith(INCOMING_PREFIX)) {
      await fsp.rm(join(p.revisions, n), { recursive: true, force: true });
      report.rolledBack.push(`commit: unpublished ${n.slice(INCOMING_PREFIX.length)} removed`);
    } else if (n.startsWith(TRASH_PREFIX)) {
      await fsp.rm(join(p.revisions, n), { recursive: true, force: true });
      report.finished.push(`delete ${n}`);
    }
  }
  for (const n of await readdirOrEmpty(volDir)) {
    if (n.startsWith(TRASH_PREFIX)) {
      await fsp.rm(join(volDir, n), { recursive: true, force: true });
      report.finished.push(`delete ${n}`);
    } else if (n.startsWith(INCOMING_PREFIX)) {
      // e.g. a root filesystem being extracted next to rootfs/ (template build or import)
      await fsp.rm(join(volDir, n), { recursive: true, force: true });
      report.rolledBack.push(`unfinished ${n} removed`);
    }
  }
  return report;
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await fsp.readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}
