// The home directory inside a Qubes private.img, read with debugfs (user space, read-only: the kernel never mounts the untrusted image).
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../../exec/index.js';
import { fail } from './errors.js';

const SAFE_PATH_RE = /^\/[A-Za-z0-9_./-]+$/;

/** debugfs prints its version banner on stderr; anything else there is an error (it exits 0 regardless). */
function debugfsErrors(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^debugfs \d/.test(l));
}

/**
 * Copy `/home/user` of the ext4 image `img` to `dest/user` (dest: a fresh root-only directory).
 * debugfs opens the image read-only (no -w) and writes only below `dest`; it recreates regular
 * files, directories and symlinks, never follows a link. Returns null when the image has no home.
 */
export async function extractHome(img: string, dest: string, where: string): Promise<string | null> {
  if (!SAFE_PATH_RE.test(dest) || !SAFE_PATH_RE.test(img)) fail(where, 'staging path has characters debugfs cannot take');
  const st = await run('debugfs', ['-R', 'stat /home/user', img], { timeoutMs: 120_000, allowFail: true });
  const statErrors = debugfsErrors(st.stderr);
  if (statErrors.some((l) => /not found|No such file/i.test(l))) return null;
  if (st.code !== 0 || statErrors.length) fail(where, `is not a readable ext4 image: ${statErrors[0] ?? `debugfs exit ${st.code}`}`);
  if (!/Type: directory/.test(st.stdout)) fail(where, '/home/user in the image is not a directory');
  await fsp.mkdir(dest, { recursive: true, mode: 0o700 });
  const r = await run('debugfs', ['-R', `rdump /home/user ${dest}`, img], { timeoutMs: 60 * 60_000, allowFail: true });
  const errors = debugfsErrors(r.stderr);
  if (r.code !== 0 || errors.length) fail(where, `reading /home/user from the image failed: ${errors[0] ?? `debugfs exit ${r.code}`}`);
  return join(dest, 'user');
}

/**
 * Make a restored home the new qube's own: every entry owned by its `user` (whatever ids the image
 * held, so none lands outside the qube's range), setuid/setgid bits dropped, anything that is not
 * a file, directory or symlink removed. Returns the bytes of file data.
 */
export async function adoptHome(top: string, owner: { uid: number; gid: number }): Promise<number> {
  let bytes = 0;
  const visit = async (p: string): Promise<void> => {
    const st = await fsp.lstat(p);
    if (!st.isFile() && !st.isDirectory() && !st.isSymbolicLink()) {
      await fsp.rm(p, { force: true });
      return;
    }
    await fsp.lchown(p, owner.uid, owner.gid);
    if (!st.isSymbolicLink()) await fsp.chmod(p, st.mode & 0o1777);
    if (st.isFile()) bytes += st.size;
    if (st.isDirectory()) for (const n of await fsp.readdir(p)) await visit(join(p, n));
  };
  await visit(top);
  return bytes;
}
