// Whether a file the root daemon runs from (or a directory above its state) could be changed by someone other than root (pure).

export interface OwnerMode {
  uid: number;
  /** st_mode: type and permission bits. */
  mode: number;
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

/**
 * Why `st` is unsafe to trust as root, or null. Owned by a user other than root: unsafe. Writable
 * by group or others: unsafe, except a sticky directory used as an ancestor (like /tmp, /var/tmp),
 * where nobody but root can rename or delete root's entries. A symlink's own mode means nothing
 * (its target and the directory holding it are checked instead).
 */
export function untrustedReason(st: OwnerMode, asAncestor: boolean): string | null {
  if (st.uid !== 0) return `owned by uid ${st.uid}, not root`;
  const type = st.mode & S_IFMT;
  if (type === S_IFLNK) return null;
  if ((st.mode & 0o022) === 0) return null;
  if (asAncestor && type === S_IFDIR && (st.mode & 0o1000) !== 0) return null;
  return `writable by ${(st.mode & 0o020) !== 0 ? 'group' : ''}${(st.mode & 0o022) === 0o022 ? ' and ' : ''}${(st.mode & 0o002) !== 0 ? 'others' : ''} (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')})`;
}
