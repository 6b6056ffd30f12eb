// Move a tree's owners from one qube's uid range to another's (clone), keeping setuid/setgid bits.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';

export interface UidShift {
  fromBase: number;
  toBase: number;
  /** Size of the ranges (ids outside [fromBase, fromBase+count) are left alone). */
  count: number;
}

/** The id an owner maps to, or the same id when it lies outside the source range (pure). */
export function shiftId(id: number, s: UidShift): number {
  return id >= s.fromBase && id < s.fromBase + s.count ? id - s.fromBase + s.toBase : id;
}

/**
 * Re-own every entry below `top` (symlinks themselves, not their targets). chown clears
 * setuid/setgid and file capabilities; the mode bits are put back, file capabilities
 * (`security.capability`) and ACL entries naming uids are not carried over.
 */
export async function shiftTreeOwners(top: string, s: UidShift): Promise<number> {
  if (s.fromBase === s.toBase) return 0;
  let changed = 0;
  const visit = async (p: string): Promise<void> => {
    const st = await fsp.lstat(p);
    const uid = shiftId(st.uid, s);
    const gid = shiftId(st.gid, s);
    if (uid !== st.uid || gid !== st.gid) {
      await fsp.lchown(p, uid, gid);
      if (!st.isSymbolicLink() && (st.mode & 0o6000) !== 0) await fsp.chmod(p, st.mode & 0o7777);
      changed += 1;
    }
    if (st.isDirectory()) for (const n of await fsp.readdir(p)) await visit(join(p, n));
  };
  await visit(top);
  return changed;
}
