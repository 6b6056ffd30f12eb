// Policy lines that name a qube: recorded in a backup so a restore can tell the admin which rules referred to it (never applied).
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';

const MAX_FILE = 1 << 20;
const MAX_REFS = 256;

/** Lines of `text` (not comments) in which `name` stands as a word of its own (`work`, `target=work`, `@dispvm:work`) (pure). */
export function referencingLines(text: string, name: string): { line: number; text: string }[] {
  const esc = name.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
  const re = new RegExp(`(^|[\\s:=,])${esc}($|[\\s,])`);
  const out: { line: number; text: string }[] = [];
  text.split('\n').forEach((l, i) => {
    const body = l.replace(/#.*$/, '');
    if (out.length < MAX_REFS && re.test(body)) out.push({ line: i + 1, text: l.slice(0, 4096) });
  });
  return out;
}

/** Every `*.policy` file of `dir` (one level) and the lines in it that name `name`; a missing directory has none. */
export async function policyReferences(dir: string, name: string): Promise<{ file: string; line: number; text: string }[]> {
  let files: string[];
  try {
    files = (await fsp.readdir(dir)).filter((f) => f.endsWith('.policy')).sort();
  } catch {
    return [];
  }
  const out: { file: string; line: number; text: string }[] = [];
  for (const f of files) {
    let text: string;
    try {
      const fh = await fsp.open(join(dir, f), 'r');
      try {
        const buf = Buffer.alloc(MAX_FILE);
        const { bytesRead } = await fh.read(buf, 0, MAX_FILE, 0);
        text = buf.subarray(0, bytesRead).toString('utf8');
      } finally {
        await fh.close();
      }
    } catch {
      continue;
    }
    for (const r of referencingLines(text, name)) if (out.length < MAX_REFS) out.push({ file: f.slice(0, 255), ...r });
  }
  return out;
}
