// Unit tests of what the window service reads from the daemon's JSON: display lists and events, bounded and typed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { displayEventOf, displayQubes } from './api-source.js';
import { checkDisplay } from './service-record.js';
import { displayToServe } from './gui.js';

test('GET /displays: the qubes named, anything malformed left out', () => {
  assert.deepEqual(displayQubes([{ qube: 'work', label: 'blue', colour: 0x3465a4 }, { qube: 'vault' }]), ['work', 'vault']);
  assert.deepEqual(displayQubes({ displays: [{ qube: 'a' }] }), ['a']);
  assert.deepEqual(displayQubes([{ qube: 1 }, null, 'x', { qube: '' }, { qube: 'y'.repeat(65) }]), []);
  assert.deepEqual(displayQubes('nonsense'), []);
});

test('event lines: display-started and display-stopped with a qube; every other line is null', () => {
  assert.deepEqual(displayEventOf('{"event":"display-started","time":"t","data":{"qube":"work"}}'), { event: 'display-started', qube: 'work' });
  assert.deepEqual(displayEventOf('{"event":"display-stopped","qube":"work"}'), { event: 'display-stopped', qube: 'work' });
  assert.equal(displayEventOf('{"event":"qube-started","data":{"qube":"work"}}'), null);
  assert.equal(displayEventOf('{"event":"display-started","data":{}}'), null);
  assert.equal(displayEventOf('{"event":"display-started","data":{"qube":7}}'), null);
  assert.equal(displayEventOf('not json'), null);
});

test('only a local X display is served; Wayland without XWayland is told why', () => {
  assert.equal(checkDisplay(':0'), ':0');
  assert.equal(checkDisplay(':12.0'), ':12.0');
  for (const bad of ['', '0', 'host:0', ':0/../x', ':abc', ':1 ; rm', ':123456']) assert.throws(() => checkDisplay(bad), /not a local X display/, bad);
  assert.equal(displayToServe(undefined, { DISPLAY: ':3' }), ':3');
  assert.equal(displayToServe(':4', { DISPLAY: ':3' }), ':4');
  assert.throws(() => displayToServe(undefined, {}), /no X display/);
  assert.throws(() => displayToServe(undefined, { WAYLAND_DISPLAY: 'wayland-0' }), /XWayland/);
});
