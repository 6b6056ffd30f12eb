// Unit tests for the template package sets, cache keys and the host mirror lookup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mirrorFromSources, resolveSet, TEMPLATE_SETS } from './template-sets.js';

const REQUIRED = ['curl', 'iproute2', 'iputils-ping', 'procps', 'python3', 'dnsutils', 'netcat-openbsd', 'ca-certificates'];

test('every set holds the test tools; the gateway adds tor and obfs4proxy', () => {
  for (const [name, set] of Object.entries(TEMPLATE_SETS)) {
    for (const p of REQUIRED) assert.ok(set.packages.includes(p), `${name} lacks ${p}`);
    assert.equal(set.suite, 'bookworm');
  }
  assert.ok(TEMPLATE_SETS['debian-12-gateway']!.packages.includes('tor'));
  assert.ok(TEMPLATE_SETS['debian-12-gateway']!.packages.includes('obfs4proxy'));
  assert.ok(!TEMPLATE_SETS['debian-12']!.packages.includes('tor'));
});

test('debian-12 holds the small X11 desktop: the display, its agent, a terminal, the clipboard tool, viewers and an editor', () => {
  for (const p of ['xvfb', 'python3-xlib', 'xterm', 'xclip', 'xpdf', 'xloadimage', 'nedit', 'fonts-dejavu-core']) {
    assert.ok(TEMPLATE_SETS['debian-12']!.packages.includes(p), `debian-12 lacks ${p}`);
  }
});

test('the cache key depends on the package list, not its order or duplicates', () => {
  const a = resolveSet('debian-12', ['less', 'jq']);
  const b = resolveSet('debian-12', ['jq', 'less', 'jq', 'curl']);
  assert.equal(a.key, b.key);
  assert.deepEqual(a.packages, [...a.packages].sort());
  assert.notEqual(resolveSet('debian-12').key, a.key);
  assert.notEqual(resolveSet('debian-12').key, resolveSet('debian-12-gateway').key);
  assert.match(a.key, /^[0-9a-f]{16}$/);
});

test('unknown sets and bad package names are refused', () => {
  assert.throws(() => resolveSet('fedora-40'), /unknown template "fedora-40" \(known: debian-12/);
  for (const bad of ['curl,evil', 'Curl', '', '-x', 'a b', 'x;rm']) {
    assert.throws(() => resolveSet('debian-12', [bad]), /is not a Debian package name/, bad);
  }
});

test('the mirror comes from the deb822 stanza for the suite', () => {
  const text = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
`;
  assert.equal(mirrorFromSources(text, 'bookworm'), 'http://mirror.example/debian');
  assert.equal(mirrorFromSources(text, 'bookworm-security'), 'http://deb.debian.org/debian-security');
  assert.equal(mirrorFromSources(text, 'trixie'), null);
  assert.equal(mirrorFromSources('Types: deb-src\nURIs: http://x/debian\nSuites: bookworm\n', 'bookworm'), null);
  assert.equal(mirrorFromSources('Enabled: no\nTypes: deb\nURIs: http://x/debian\nSuites: bookworm\n', 'bookworm'), null);
});
