// Scans the regular files below a directory without following links or crossing mounts: lstat to descend, O_NOFOLLOW to open, fstat to confirm.
import { constants, promises as fsp, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataRanges } from './extents.js';
import { scanHandle, scanRanges, BLOCK } from './stream-scan.js';
import type { Hit } from './matcher.js';

export interface FileHit extends Hit {
  path: string;
}

export interface TreeScan {
  root: string;
  files: number;
  bytes: number;
  counts: number[];
  hits: FileHit[];
  /** What was left out and why (mount points, trees a qube controls, files that changed under us). */
  skipped: { path: string; why: string }[];
}

/** Mount points in this process's mount namespace (octal escapes decoded). */
export function mountPoints(): Set<string> {
  const out = new Set<string>();
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const mp = line.split(' ')[4];
    if (mp) out.add(mp.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
  }
  return out;
}

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;

/**
 * Every regular file below `root` on root's own file system, streamed through the matcher.
 * `exclude` names subtrees not to enter (trees a running qube can change: the admin never walks
 * them by name). A symlink is never followed, a mount point never entered, a file is read only if
 * the descriptor opened with O_NOFOLLOW is the regular file lstat saw (same device and inode).
 */
export async function scanTree(
  root: string,
  needles: readonly Uint8Array[],
  opts: { exclude?: ReadonlySet<string>; maxHits?: number } = {},
): Promise<TreeScan> {
  const res: TreeScan = { root, files: 0, bytes: 0, counts: needles.map(() => 0), hits: [], skipped: [] };
  const maxHits = opts.maxHits ?? 100;
  const top = await fsp.lstat(root).catch(() => null);
  if (!top?.isDirectory()) {
    res.skipped.push({ path: root, why: top ? 'not a directory' : 'absent' });
    return res;
  }
  const mounts = mountPoints();
  const buffer = Buffer.allocUnsafe(BLOCK);
  const stack = [root];
  while (stack.length) {
    const dir = stack.pop() as string;
    let names: string[];
    try {
      names = await fsp.readdir(dir);
    } catch (e) {
      res.skipped.push({ path: dir, why: (e as NodeJS.ErrnoException).code ?? 'unreadable' });
      continue;
    }
    for (const name of names) {
      const p = join(dir, name);
      if (opts.exclude?.has(p)) {
        res.skipped.push({ path: p, why: 'left out: a tree a qube can change, or a template root' });
        continue;
      }
      const st = await fsp.lstat(p).catch(() => null);
      if (!st) continue;
      if (st.isDirectory()) {
        if (st.dev !== top.dev || mounts.has(p)) res.skipped.push({ path: p, why: 'mount point' });
        else stack.push(p);
        continue;
      }
      if (!st.isFile() || st.dev !== top.dev) continue;
      let fh: fsp.FileHandle | null = null;
      try {
        fh = await fsp.open(p, OPEN_FLAGS);
        const fst = await fh.stat();
        if (!fst.isFile() || fst.dev !== st.dev || fst.ino !== st.ino) {
          res.skipped.push({ path: p, why: 'changed while scanned' });
          continue;
        }
        // A sparse file (an image) is read where it holds data only; its holes are zeros.
        const sparse = fst.size > 64 * 1024 * 1024 && fst.blocks * 512 < fst.size / 2;
        const ranges = sparse ? await dataRanges(p) : null;
        const s = ranges ? await scanRanges(fh, ranges, needles, { maxHits, buffer }) : await scanHandle(fh, needles, { maxHits, buffer });
        res.files++;
        res.bytes += s.bytes;
        s.counts.forEach((c, i) => {
          res.counts[i] = (res.counts[i] ?? 0) + c;
        });
        for (const h of s.hits) {
          // At most maxHits per needle over the whole tree: one canary's many hits never hide the other's.
          if (res.hits.filter((x) => x.needle === h.needle).length < maxHits) res.hits.push({ ...h, path: p });
        }
      } catch (e) {
        res.skipped.push({ path: p, why: (e as NodeJS.ErrnoException).code ?? 'unreadable' });
      } finally {
        await fh?.close();
      }
    }
  }
  return res;
}
