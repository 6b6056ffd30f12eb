// Resolves a user name to uid/gid/home from a qube's /etc/passwd, read from the host without following qube-made symlinks.
import { BulkheadError } from '../../errors/index.js';
import { safeReadFileSync } from '../../hostfs/index.js';

/** Largest /etc/passwd the admin side reads from a qube. */
const PASSWD_MAX_BYTES = 1 << 20;

export interface QubeUser {
  uid: number;
  gid: number;
  home: string;
}

/** Parse passwd text; returns the entry for `name` or null. Pure. */
export function findPasswdUser(text: string, name: string): QubeUser | null {
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || f[0] !== name) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid < 0 || gid < 0) return null;
    return { uid, gid, home: f[5] || '/' };
  }
  return null;
}

/**
 * `user` may be a name, `UID` or `UID:GID`. Names are looked up in ROOT/etc/passwd. The qube owns
 * that file and every directory on the way (and may swap them while we look), so it is read
 * through bh-saferead: no symlink followed anywhere on the path, a regular file, at most 1 MiB.
 */
export function resolveQubeUser(root: string | undefined, user: string | undefined): QubeUser {
  if (user === undefined || user === 'root') return { uid: 0, gid: 0, home: '/root' };
  const numeric = /^(\d{1,10})(?::(\d{1,10}))?$/.exec(user);
  if (numeric) {
    const uid = Number(numeric[1]);
    return { uid, gid: numeric[2] !== undefined ? Number(numeric[2]) : uid, home: '/' };
  }
  if (!/^[a-z_][a-z0-9_.-]{0,31}\$?$/i.test(user)) {
    throw new BulkheadError('ERR_INVALID_VALUE', `user: ${JSON.stringify(user)} is not a valid user name`);
  }
  if (root === undefined) {
    throw new BulkheadError('ERR_RUNTIME', `user ${user}: the qube's root is unknown (start it or list it first)`);
  }
  const r = safeReadFileSync(root, 'etc/passwd', PASSWD_MAX_BYTES);
  if (!r.ok) throw new BulkheadError('ERR_RUNTIME', `user ${user}: cannot read the qube's /etc/passwd (${r.message})`);
  const found = findPasswdUser(r.data.toString('utf8'), user);
  if (!found) throw new BulkheadError('ERR_INVALID_VALUE', `user ${user}: no such user in the qube`);
  return found;
}
