// Where a qube's volumes live on disk, and how revision and leftover names are formed (pure).
import { join } from 'node:path';
import { BulkheadError } from '../errors/index.js';
import type { QubeClass } from '../model/index.js';

/** Classes that own volumes (the admin side has none). */
export type VolumeClass = Exclude<QubeClass, 'admin'>;

/** Paths of one qube's volume directory `POOL/NAME/`. */
export interface VolumePaths {
  /** `POOL/NAME` — everything of the qube's storage lives below it. */
  dir: string;
  /**
   * Live private volume: an ext4 image file (bounded by its size; loop-mounted at `privateMnt`
   * while the qube runs), or a plain directory (unbounded; volumes made without a size).
   * Either way it is the unit that revisions copy and reverts rename.
   */
  private: string;
  /** Mount point of an image private volume while the qube runs. */
  privateMnt: string;
  /** Where the admin mounts an image to look into or fix it (qube stopped; root only). */
  adminMnt: string;
  /** `private/home/user`. */
  home: string;
  /** Committed revisions of `private`, one directory each, named by time. */
  revisions: string;
  /**
   * Root volume: overlay `upper` and `work` (kept for template/standalone, discarded for app/disposable).
   * A template's or standalone's made with a size is an ext4 image file holding `upper/` and `work/`,
   * loop-mounted at `rootMnt` while the qube runs; otherwise (app, disposable, older qubes) a directory.
   */
  root: string;
  /** Mount point of an image root volume while the qube runs (its upper and work are below it then). */
  rootMnt: string;
  rootUpper: string;
  rootWork: string;
  /** Scratch volume, emptied at every start. */
  volatile: string;
  /** Root filesystem of a template or standalone (the overlay's lower layer). */
  rootfs: string;
  /** A restored private tree being built by a revert (swapped in by rename). */
  restore: string;
  /** Intent record of a revert in progress (present only between its rename steps). */
  journal: string;
  /** Template only: earlier roots, one complete directory each, named by time (`volume revert TEMPLATE root`). */
  rootRevisions: string;
  /** Template only: intent record of a root commit or revert in progress. */
  rootJournal: string;
  /** App qube or disposable, while it runs: which template root (`dev:ino`) is its lower layer. */
  lowerRecord: string;
}

export function volumePaths(poolDir: string, name: string): VolumePaths {
  const dir = join(poolDir, name);
  return volumePathsOf(dir);
}

export function volumePathsOf(dir: string): VolumePaths {
  const priv = join(dir, 'private');
  const root = join(dir, 'root');
  return {
    dir,
    private: priv,
    privateMnt: join(dir, 'mnt', 'private'),
    adminMnt: join(dir, 'mnt', 'admin'),
    home: join(priv, 'home', 'user'),
    revisions: join(dir, 'revisions'),
    root,
    rootMnt: join(dir, 'mnt', 'root'),
    rootUpper: join(root, 'upper'),
    rootWork: join(root, 'work'),
    volatile: join(dir, 'volatile'),
    rootfs: join(dir, 'rootfs'),
    restore: join(dir, '.private-restore'),
    journal: join(dir, 'revert.journal.json'),
    rootRevisions: join(dir, 'root-revisions'),
    rootJournal: join(dir, 'root.journal.json'),
    lowerRecord: join(dir, 'lower-root.json'),
  };
}

/** Whether the class's root volume survives a stop (Qubes: template and standalone). */
export function rootIsPersistent(c: VolumeClass): boolean {
  return c === 'template' || c === 'standalone';
}

/** Whether the class has its own root filesystem (`rootfs/`) instead of booting from a template. */
export function hasOwnRootfs(c: VolumeClass): boolean {
  return c === 'template' || c === 'standalone';
}

/** Whether stopping the class commits a private revision (a disposable is destroyed instead). */
export function keepsRevisions(c: VolumeClass): boolean {
  return c !== 'disposable';
}

/** Prefixes of in-progress entries; anything carrying one is a leftover after a crash. */
export const INCOMING_PREFIX = '.incoming-'; // a revision being copied, below revisions/
export const TRASH_PREFIX = '.trash-'; // something being deleted
export const CREATING_PREFIX = '.creating-'; // a qube's volumes being created or cloned, below the pool
/** Mount points of merged views being copied; after a crash recovery unmounts and removes them. */
export const MERGE_PREFIX = '.root-merge-';
/** Where a commit mounts an image root volume to read its upper; after a crash recovery unmounts and removes it. */
export const ROOT_IMAGE_PREFIX = '.root-image-';

const REVISION_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})\.(\d{3})Z(?:-(\d+))?$/;

/** Revision name for a time: ISO 8601 UTC with `-` for `:` so it sorts and is a file name. */
export function revisionName(at: Date, seq = 0): string {
  const base = at.toISOString().replace(/:/g, '-');
  return seq > 0 ? `${base}-${seq}` : base;
}

/** The time a revision name stands for, or null when the name is not a revision. */
export function parseRevisionName(name: string): Date | null {
  const m = REVISION_RE.exec(name);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, ms] = m;
  const t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(ms));
  if (Number.isNaN(t)) return null;
  const at = new Date(t);
  // Reject out-of-range fields that Date.UTC would silently carry over (month 13, day 32, …).
  return revisionName(at) === name.replace(/-\d+$/, '') ? at : null;
}

/** Sort revision names oldest first (time, then collision suffix). */
export function sortRevisionNames(names: readonly string[]): string[] {
  const seq = (n: string): number => Number(REVISION_RE.exec(n)?.[8] ?? 0);
  return names
    .filter((n) => parseRevisionName(n) !== null)
    .sort((a, b) => {
      const ta = parseRevisionName(a)!.getTime();
      const tb = parseRevisionName(b)!.getTime();
      return ta !== tb ? ta - tb : seq(a) - seq(b);
    });
}

/** Which revisions to delete so that at most `keep` remain: the oldest ones. */
export function revisionsToPrune(names: readonly string[], keep: number): string[] {
  const sorted = sortRevisionNames(names);
  const k = Math.max(0, Math.floor(keep));
  return sorted.slice(0, Math.max(0, sorted.length - k));
}

/** Qube names become directory names; refuse anything that could escape the pool. */
export function checkVolumeName(name: string): void {
  if (!/^[a-zA-Z][a-zA-Z0-9_.-]{0,30}$/.test(name) || name.includes('..')) {
    throw new BulkheadError('ERR_INVALID_NAME', `invalid qube name for a volume directory: ${JSON.stringify(name)}`);
  }
}
