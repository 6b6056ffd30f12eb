// The contract is bundled by the dashboard page: everything it imports, followed through, is our own pure code or zod, never a Node built-in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const here = dirname(new URL(import.meta.url).pathname);

/** Module specifiers of a file: static, dynamic and type-only imports and re-exports. */
function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm)].map(
    (m) => m[1] ?? m[2] ?? m[3]!,
  );
}

test('the contract and everything it imports use only zod and our own modules', () => {
  const start = readdirSync(here)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.test-util.ts'))
    .map((f) => join(here, f));
  const seen = new Set<string>();
  const todo = [...start];
  const outside: string[] = [];
  while (todo.length) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const s of specifiers(file)) {
      if (s.startsWith('.')) todo.push(resolve(dirname(file), s.replace(/\.js$/, '.ts')));
      else if (s !== 'zod') outside.push(`${file}: ${s}`);
    }
  }
  assert.deepEqual(outside, []);
  assert.ok(seen.size > start.length, 'the walk followed imports out of src/contract');
  assert.ok([...seen].some((f) => f.endsWith('/errors/index.ts')));
});
