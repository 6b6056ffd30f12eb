// Disk usage of a tree, like `du`: allocated bytes, apparent bytes and entries, hard links counted once.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';

export interface TreeUsage {
  /** Bytes allocated on disk (st_blocks × 512), what `du -s --block-size=1` reports. */
  diskBytes: number;
  /** Sum of file sizes (`du -s --apparent-size -b`). */
  apparentBytes: number;
  /** Entries below and including the top (files, directories, links, devices). */
  entries: number;
}

/** Usage of a tree; a missing path counts as empty. Symlinks are not followed. */
export async function treeUsage(top: string): Promise<TreeUsage> {
  const seen = new Set<string>();
  const u: TreeUsage = { diskBytes: 0, apparentBytes: 0, entries: 0 };
  const visit = async (p: string): Promise<void> => {
    let st;
    try {
      st = await fsp.lstat(p, { bigint: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    const key = `${st.dev}:${st.ino}`;
    if (st.nlink > 1n && !st.isDirectory()) {
      if (seen.has(key)) return;
      seen.add(key);
    }
    u.entries += 1;
    u.diskBytes += Number(st.blocks) * 512;
    u.apparentBytes += Number(st.size);
    if (st.isDirectory()) {
      const names = await fsp.readdir(p);
      for (const n of names) await visit(join(p, n));
    }
  };
  await visit(top);
  return u;
}
