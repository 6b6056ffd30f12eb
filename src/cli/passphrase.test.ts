// The passphrase file: one trailing newline dropped, nothing else; an empty, missing or oversized file refused.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { passphraseFromFile } from './passphrase.js';

const dir = mkdtempSync(join(tmpdir(), 'bh-pass-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};

it('reads the passphrase without its one trailing newline', async () => {
  assert.equal(await passphraseFromFile(file('a', 'secret words\n')), 'secret words');
  assert.equal(await passphraseFromFile(file('b', 'secret\r\n')), 'secret');
  assert.equal(await passphraseFromFile(file('c', ' spaces kept \n\n')), ' spaces kept \n');
  assert.equal(await passphraseFromFile(file('d', 'no newline')), 'no newline');
});

it('refuses an empty, missing or oversized file, naming it', async () => {
  await assert.rejects(passphraseFromFile(file('e', '\n')), /e: the passphrase is empty/);
  await assert.rejects(passphraseFromFile(join(dir, 'missing')), /missing: no such file/);
  await assert.rejects(passphraseFromFile(file('f', 'x'.repeat(5000))), /longer than 4096/);
});
