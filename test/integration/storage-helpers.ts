// Helpers for the storage integration tests: a unique temp area, tree manifests, sample trees.
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const RUN = process.env.BULKHEAD_TEST_RUN ?? 'bht' + randomBytes(2).toString('hex');

/** A fresh directory `/tmp/RUN-storage-XXXX` (removed by the caller in after()). */
export async function tempArea(tag: string): Promise<string> {
  return fsp.mkdtemp(join(tmpdir(), `${RUN}-storage-${tag}-`));
}

/**
 * Everything that makes a tree what it is, one line per entry: type, mode, owner, size,
 * content hash, link target, and which entries share an inode (hard links).
 */
export async function manifest(top: string): Promise<string[]> {
  const lines: string[] = [];
  const inodes = new Map<string, string>();
  const visit = async (rel: string): Promise<void> => {
    const p = rel ? join(top, rel) : top;
    const st = await fsp.lstat(p);
    const mode = (st.mode & 0o7777).toString(8);
    const own = `${st.uid}:${st.gid}`;
    let what: string;
    if (st.isDirectory()) what = 'd';
    else if (st.isSymbolicLink()) what = `l ${await fsp.readlink(p)}`;
    else if (st.isFIFO()) what = 'p';
    else if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      const first = inodes.get(key);
      if (first !== undefined) what = `h ${first}`;
      else {
        inodes.set(key, rel);
        what = `f ${st.size} ${createHash('sha256')
          .update(await fsp.readFile(p))
          .digest('hex')}`;
      }
    } else what = `? ${st.mode}`;
    lines.push(`${rel || '.'} ${mode} ${own} ${what}`);
    if (st.isDirectory()) for (const n of (await fsp.readdir(p)).sort()) await visit(rel ? join(rel, n) : n);
  };
  await visit('');
  return lines;
}

/** Fill a private tree the way a qube would: files owned by its uid range, odd modes, links. */
export async function fillPrivate(dir: string, uidBase: number, seed: string): Promise<void> {
  const u = uidBase + 1000;
  const home = join(dir, 'home', 'user');
  await fsp.mkdir(home, { recursive: true });
  await fsp.writeFile(join(home, 'notes.txt'), `notes ${seed}\n`);
  await fsp.writeFile(join(home, 'blob.bin'), randomBytes(1 << 20));
  await fsp.chmod(join(home, 'blob.bin'), 0o600);
  await fsp.symlink('notes.txt', join(home, 'link-to-notes'));
  await fsp.link(join(home, 'notes.txt'), join(home, 'hardlink-to-notes'));
  await fsp.mkdir(join(home, 'empty-dir'), { mode: 0o750 });
  await fsp.writeFile(join(dir, 'suid-tool'), '#!/bin/sh\n');
  await fsp.lchown(join(dir, 'suid-tool'), uidBase, uidBase);
  await fsp.chmod(join(dir, 'suid-tool'), 0o4755);
  for (const e of ['notes.txt', 'blob.bin', 'link-to-notes', 'empty-dir']) await fsp.lchown(join(home, e), u, u);
}
