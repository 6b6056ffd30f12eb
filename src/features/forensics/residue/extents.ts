// The byte ranges of a sparse file that hold data (from `filefrag -e`), so a scan skips its holes: a 10 GiB root image holding 40 MiB reads 40 MiB.
import { run } from '../../../exec/index.js';

const BLOCK = 4096;

/** Parses `filefrag -e -b4096` output into merged [start, end) byte ranges (pure). */
export function parseFilefrag(text: string): [number, number][] {
  const out: [number, number][] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*\d+:\s+(\d+)\.\.\s*(\d+):/.exec(line);
    if (!m) continue;
    const start = Number(m[1]) * BLOCK;
    const end = (Number(m[2]) + 1) * BLOCK;
    const last = out[out.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else out.push([start, end]);
  }
  return out;
}

/** Data ranges of `path`, or null when the file system cannot say (then the whole file is read). */
export async function dataRanges(path: string): Promise<[number, number][] | null> {
  const r = await run('filefrag', ['-e', '-b4096', path], { timeoutMs: 60_000, allowFail: true });
  if (r.code !== 0 || !/extents? found/.test(r.stdout)) return null;
  return parseFilefrag(r.stdout);
}
