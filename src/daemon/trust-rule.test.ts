// Unit tests of the rule deciding which files a root daemon may trust.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { untrustedReason } from './trust-rule.js';

const F = 0o100000;
const D = 0o040000;
const L = 0o120000;

test('table: owner, group/other write, sticky ancestors, symlinks', () => {
  const cases: [number, number, boolean, RegExp | null][] = [
    [0, F | 0o644, false, null],
    [0, F | 0o755, false, null],
    [0, D | 0o711, true, null],
    [1000, F | 0o644, false, /owned by uid 1000/],
    [0, F | 0o664, false, /writable by group \(mode 0664\)/],
    [0, F | 0o646, false, /writable by others \(mode 0646\)/],
    [0, F | 0o666, false, /writable by group and others/],
    [0, D | 0o1777, true, null], // /tmp as an ancestor
    [0, D | 0o1777, false, /writable/], // but not as part of the code
    [0, D | 0o777, true, /writable/], // no sticky bit: others can rename our entries
    [1000, D | 0o1777, true, /owned by uid 1000/],
    [0, L | 0o777, false, null],
    [1000, L | 0o777, false, /owned by uid 1000/],
  ];
  for (const [uid, mode, anc, want] of cases) {
    const got = untrustedReason({ uid, mode }, anc);
    if (want === null) assert.equal(got, null, `${uid} ${mode.toString(8)} ${anc}`);
    else assert.match(got ?? '', want, `${uid} ${mode.toString(8)} ${anc}`);
  }
});
