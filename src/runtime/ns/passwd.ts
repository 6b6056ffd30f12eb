// Resolves a user name to uid/gid/home from a qube's /etc/passwd, read from the host without following qube-made symlinks.
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { BulkheadError } from '../../errors/index.js';

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
 * that file, so /etc must be a real directory and passwd a regular file (opened with O_NOFOLLOW),
 * and at most 1 MiB is read.
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
  const etc = lstatSync(`${root}/etc`, { throwIfNoEntry: false });
  if (!etc?.isDirectory()) throw new BulkheadError('ERR_RUNTIME', `user ${user}: the qube has no /etc directory`);
  let fd: number;
  try {
    fd = openSync(`${root}/etc/passwd`, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    throw new BulkheadError('ERR_RUNTIME', `user ${user}: cannot read the qube's /etc/passwd`, { cause: e });
  }
  try {
    if (!fstatSync(fd).isFile()) throw new BulkheadError('ERR_RUNTIME', `user ${user}: the qube's /etc/passwd is not a file`);
    const buf = Buffer.alloc(1 << 20);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const found = findPasswdUser(buf.subarray(0, n).toString('utf8'), user);
    if (!found) throw new BulkheadError('ERR_INVALID_VALUE', `user ${user}: no such user in the qube`);
    return found;
  } finally {
    closeSync(fd);
  }
}
