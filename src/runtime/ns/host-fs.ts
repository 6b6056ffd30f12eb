// Host-side directories of a qube: creating the overlay and volume directories with the right owners, and removing them only when nothing is mounted below.
import { chmodSync, chownSync, lstatSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { BulkheadError } from '../../errors/index.js';
import type { QubeRuntimeSpec } from '../types.js';
import { QUBE_USER_ID, qubePaths } from './oci-config.js';

/** mkdir that refuses a symlink where a directory is expected and sets owner/mode on creation. */
export function ensureDir(path: string, uid: number, gid: number, mode: number, field: string): void {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (st === undefined) {
    mkdirSync(path, { mode });
    chownSync(path, uid, gid);
    return;
  }
  if (!st.isDirectory()) {
    throw new BulkheadError('ERR_RUNTIME', `${field}: ${path} exists and is not a directory (symlinks are refused)`);
  }
}

/**
 * Every directory above `dir` must be searchable by the qube's root, which on the host is an
 * unprivileged uid in no group of the host: only the "others" x bit lets it through. 0711
 * (search, no listing) is enough; the run dir itself is closed to everyone but its qube.
 */
function checkTraversable(dir: string): void {
  const parts = dir.split('/').filter(Boolean);
  for (let i = parts.length - 1; i >= 1; i--) {
    const d = `/${parts.slice(0, i).join('/')}`;
    if ((statSync(d).mode & 0o001) === 0) {
      throw new BulkheadError('ERR_RUNTIME', `runDir: ${d} must be searchable by others (chmod o+x, e.g. 0711) so crun can reach the qube's root`);
    }
  }
}

/**
 * A qube's run dir is 0710 root:uidBase. Measured with crun 1.8.1: crun opens bind-mount sources
 * as host root (any directory mode works for them), but it reaches `root/` from inside the qube's
 * user namespace as the qube's root (host uid = gid = uidBase), so it needs search permission on
 * the run dir and each directory above it: without it the start fails with "make `…/root`
 * private: Permission denied". Group search for uidBase gives that reach to this qube alone;
 * other host users and other qubes (other ranges) get EACCES on everything below.
 */
export const RUN_DIR_MODE = 0o710;

/** Creates run dir, overlay upper/work and the private volume's layout (/rw, /rw/home/user). */
export function prepareQubeDirs(spec: QubeRuntimeSpec): void {
  const p = qubePaths(spec);
  const lower = lstatSync(spec.lowerDir, { throwIfNoEntry: false });
  if (!lower?.isDirectory()) throw new BulkheadError('ERR_RUNTIME', `lowerDir: ${spec.lowerDir} is not a directory`);
  mkdirSync(spec.runDir, { recursive: true, mode: 0o711 });
  const st = lstatSync(spec.runDir);
  if (!st.isDirectory()) throw new BulkheadError('ERR_RUNTIME', `runDir: ${spec.runDir} is not a directory (symlinks are refused)`);
  chownSync(spec.runDir, 0, spec.uidBase);
  chmodSync(spec.runDir, RUN_DIR_MODE);
  checkTraversable(spec.runDir);
  ensureDir(p.merged, 0, 0, 0o755, 'runDir');
  ensureDir(p.lowerTmp, 0, 0, 0o700, 'runDir');
  ensureDir(p.privateMnt, 0, 0, 0o700, 'runDir');
  mkdirSync(spec.rootRwDir, { recursive: true, mode: 0o700 });
  if (spec.volatileRoot) wipeUpper(spec);
  ensureDir(p.upper, spec.uidBase, spec.uidBase, 0o755, 'rootRwDir');
  ensureDir(p.work, spec.uidBase, spec.uidBase, 0o700, 'rootRwDir');
  // An encrypted image keeps the data in a directory below its mount point (p.privateData).
  const parent = p.privateData.slice(0, p.privateData.lastIndexOf('/')) || '/';
  mkdirSync(parent, { recursive: true, mode: 0o700 });
  ensureDir(p.privateData, spec.uidBase, spec.uidBase, 0o755, 'privateDir');
  ensureDir(`${p.privateData}/home`, spec.uidBase, spec.uidBase, 0o755, 'privateDir');
  const u = spec.uidBase + QUBE_USER_ID;
  ensureDir(p.home, u, u, 0o700, 'privateDir');
}

/** Mount points at or below `dir`, from /proc/self/mountinfo (octal escapes decoded). */
export function mountsBelow(dir: string): string[] {
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const mp = line.split(' ')[4];
    if (mp === undefined) continue;
    const path = mp.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (path === dir || path.startsWith(`${dir}/`)) out.push(path);
  }
  return out;
}

/** rm -rf, but never across a mount point (a still-mounted template or overlay must not be emptied). */
export function removeTree(dir: string): void {
  const mounted = mountsBelow(dir);
  if (mounted.length > 0) {
    throw new BulkheadError('ERR_RUNTIME', `refusing to remove ${dir}: still mounted: ${mounted.join(', ')}`);
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Discards the overlay upper and work directories. */
export function wipeUpper(spec: QubeRuntimeSpec): void {
  const p = qubePaths(spec);
  const mounted = mountsBelow(p.merged);
  if (mounted.length > 0) {
    throw new BulkheadError('ERR_QUBE_RUNNING', `refusing to discard the root of ${spec.name}: its overlay is mounted at ${p.merged}`);
  }
  removeTree(p.upper);
  removeTree(p.work);
}
