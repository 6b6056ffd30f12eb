// Layers point one way (.dependency-cruiser.cjs): the tree obeys them, and the rules catch each kind of breach.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const DEPCRUISE = join(REPO, 'node_modules', '.bin', 'depcruise');

function cruise(cwd: string): { code: number; out: string } {
  const r = spawnSync(DEPCRUISE, ['src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

test('the source tree keeps its layers', () => {
  const r = cruise(REPO);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /no dependency violations found/);
});

test('each breach of the layers is caught: effects in the core, shell above the daemon, a feature loaded by the daemon core, an unlisted folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bh-layers-'));
  try {
    copyFileSync(join(REPO, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true }, include: ['src/**/*.ts'] }),
    );
    const files: Record<string, string> = {
      'src/model/reads.ts': "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n",
      'src/model/ok.ts': "import { createHash } from 'node:crypto';\nexport const h = createHash;\n",
      'src/daemon/core.ts': 'export const c = 1;\n',
      'src/storage/up.ts': "import { c } from '../daemon/core.js';\nexport const u = c;\n",
      'src/features/net/index.ts': 'export const f = 1;\n',
      'src/daemon/late.ts': "export const l = () => import('../features/net/index.js');\n",
      'src/stray/x.ts': "import { c } from '../daemon/core.js';\nexport const s = c;\n",
    };
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, p)), { recursive: true });
      writeFileSync(join(dir, p), text);
    }
    const r = cruise(dir);
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.out, /core-no-effectful-builtins: src\/model\/reads\.ts → fs/);
    assert.match(r.out, /shell-below-daemon: src\/storage\/up\.ts → src\/daemon\/core\.ts/);
    assert.match(r.out, /daemon-below-features: src\/daemon\/late\.ts → src\/features\/net\/index\.ts/, 'a dynamic import() is seen');
    assert.match(r.out, /everything-in-a-layer: src\/stray\/x\.ts/);
    assert.doesNotMatch(r.out, /src\/model\/ok\.ts/, 'a built-in without effects is allowed in the core');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
