// Table tests of file-copy name and symlink validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NAME_CASES, toBytes } from './cases.js';
import { codePointAllowed, validatePath, validFileName, validSymlink } from './names.js';

for (const c of NAME_CASES) {
  test(`${c.ok ? 'accepts' : 'refuses'}: ${c.why}`, () => {
    const name = toBytes(c.name);
    const got = c.target === undefined ? validFileName(name) : validSymlink(name, toBytes(c.target));
    assert.equal(got, c.ok);
  });
}

test('table has at least 40 unsafe forms and 10 safe ones', () => {
  assert.ok(NAME_CASES.filter((c) => !c.ok).length >= 40);
  assert.ok(NAME_CASES.filter((c) => c.ok).length >= 10);
});

test('validatePath counts non-.. components and honours the allowance', () => {
  const b = (s: string) => new TextEncoder().encode(s);
  assert.equal(validatePath(b('a/b/c')), 3);
  assert.equal(validatePath(b('../../a'), 2), 1);
  assert.equal(validatePath(b('../../a'), 1), 0);
  assert.equal(validatePath(b('../a/../b'), 5), 0);
});

test('code point allowlist: ASCII printable yes, controls and surrogates no', () => {
  for (let c = 0x20; c < 0x7f; c++) assert.ok(codePointAllowed(c), c.toString(16));
  for (const c of [0, 0x1f, 0x7f, 0x85, 0xd800, 0xdfff, 0xfffe, 0x110000, 0x202e]) assert.equal(codePointAllowed(c), false, c.toString(16));
});
