// Pure folders must not touch the kernel, processes, files or SQLite (STYLE: pure core).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const PURE = ['model', 'policy', 'firewall', 'gateway', 'filecopy'];
const BANNED = /from\s+['"](node:)?(child_process|fs|fs\/promises|net|dgram|better-sqlite3)['"]/;

function* files(dir: string): Generator<string> {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (p.endsWith('.ts') && !p.endsWith('.test.ts')) yield p;
  }
}

test('pure folders import no effectful modules', () => {
  const src = new URL('.', import.meta.url).pathname;
  for (const folder of PURE) {
    let dir: string;
    try { dir = join(src, folder); statSync(dir); } catch { continue; }
    for (const f of files(dir)) {
      const text = readFileSync(f, 'utf8');
      assert.doesNotMatch(text, BANNED, `${f} imports an effectful module`);
    }
  }
});
