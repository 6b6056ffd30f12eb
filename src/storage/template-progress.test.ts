// Unit tests for reading progress out of mmdebstrap's output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MmdebstrapProgress, PHASES, UNITS_PER_PHASE } from './template-progress.js';

// An excerpt of `mmdebstrap --verbose` output, in its real order.
const LOG = `I: automatically chosen mode: root
I: running apt-get update...
Get:1 http://deb.debian.org/debian bookworm InRelease [151 kB]
I: downloading packages with apt...
0 upgraded, 4 newly installed, 0 to remove and 0 not upgraded.
Get:1 http://deb.debian.org/debian bookworm/main amd64 a amd64 1 [1 kB]
Get:2 http://deb.debian.org/debian bookworm/main amd64 b amd64 1 [1 kB]

I: extracting archives...
I: installing essential packages...
Setting up a (1) ...
Setting up b (1) ...
I: installing remaining packages inside the chroot...
Setting up c (1) ...
I: running --customize-hook in shell: sh -c 'chroot "$1" useradd user' exec /tmp/x
I: cleaning package lists and apt cache...
I: creating tarball...
I: success in 17.0 seconds`;

test('phases come in order and progress never goes back', () => {
  const p = new MmdebstrapProgress();
  const seen: string[] = [];
  let last = -1;
  for (const line of LOG.split('\n')) {
    const r = p.line(line);
    if (!r) continue;
    assert.ok(r.done >= last, `progress went back at ${line}`);
    assert.ok(r.done < r.total);
    last = r.done;
    if (seen.at(-1) !== r.phase) seen.push(r.phase);
  }
  assert.deepEqual(seen, ['update', 'download', 'extract', 'essential', 'install', 'customize', 'tarball']);
  assert.equal(p.enter('extract-root').done, (PHASES.length - 1) * UNITS_PER_PHASE);
  assert.equal(p.finished().done, p.total);
});

test('packages move progress within a phase', () => {
  const p = new MmdebstrapProgress();
  p.line('I: downloading packages with apt...');
  p.line('0 upgraded, 4 newly installed, 0 to remove and 0 not upgraded.');
  const a = p.line('Get:1 http://x a 1 [1 kB]')!;
  const b = p.line('Get:2 http://x b 1 [1 kB]')!;
  assert.equal(a.phase, 'download');
  assert.equal(b.done - a.done, UNITS_PER_PHASE / 4);
  assert.equal(p.line('an unrelated line'), null);
  assert.equal(p.line(''), null, 'an empty line is not a phase');
});
