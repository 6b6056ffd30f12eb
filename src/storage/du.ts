// Disk usage of a tree, like `du`: allocated bytes, apparent bytes and entries, hard links counted once.
import { run } from '../exec/index.js';

export interface TreeUsage {
  /** Bytes allocated on disk (st_blocks × 512), what `du -s --block-size=1` reports. */
  diskBytes: number;
  /** Sum of file sizes (`du -s --apparent-size -b`). */
  apparentBytes: number;
  /** Entries below and including the top (files, directories, links, devices). */
  entries: number;
  /** Entries that are not directories (files, symlinks, devices, …). */
  nonDirs: number;
}

/**
 * Usage of a tree; a missing path counts as empty. The trees measured here are a qube's (its
 * private volume, root upper, volatile), and a running qube can swap a directory for a symlink
 * to a host directory between two of our system calls. So the walk is GNU find's (`-P`, fts with
 * a file descriptor per directory, opened with O_NOFOLLOW and checked against the lstat it
 * descends on), never our own path-based lstat/readdir, and only numbers come back.
 */
export async function treeUsage(top: string): Promise<TreeUsage> {
  const r = await run('find', ['-P', top, '-printf', '%D %i %n %s %b %y\\n'], { timeoutMs: 10 * 60_000, allowFail: true });
  const u: TreeUsage = { diskBytes: 0, apparentBytes: 0, entries: 0, nonDirs: 0 };
  if (r.code !== 0 && r.stdout === '') {
    // Missing top (or vanished while walked): empty. Anything else is a real failure.
    if (/No such file or directory/.test(r.stderr)) return u;
    throw new Error(`find ${top}: ${r.stderr.trim().split('\n').pop() ?? `exit ${r.code}`}`);
  }
  const seen = new Set<string>();
  for (const line of r.stdout.split('\n')) {
    const f = line.split(' ');
    if (f.length !== 6) continue;
    const [dev, ino, nlink, size, blocks, type] = f as [string, string, string, string, string, string];
    if (type !== 'd' && Number(nlink) > 1) {
      const key = `${dev}:${ino}`;
      if (seen.has(key)) continue;
      seen.add(key);
    }
    u.entries += 1;
    if (type !== 'd') u.nonDirs += 1;
    u.diskBytes += Number(blocks) * 512;
    u.apparentBytes += Number(size);
  }
  return u;
}
