// The page's key, button and pixel conversions.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bgrxToRgba, keysymOf, modifierState, x11Button } from './input.js';

describe('page input', () => {
  it('printable characters are their keysyms: Latin-1 as is, other characters as Unicode keysyms', () => {
    assert.equal(keysymOf('a'), 0x61);
    assert.equal(keysymOf('A'), 0x41);
    assert.equal(keysymOf(' '), 0x20);
    assert.equal(keysymOf('>'), 0x3e);
    assert.equal(keysymOf('é'), 0xe9);
    assert.equal(keysymOf('€'), 0x010020ac);
    assert.equal(keysymOf('😀'), 0x0101f600, 'one character of two UTF-16 units');
  });
  it('named keys from the table; modifiers alone, dead keys and unknown names are not sent', () => {
    assert.equal(keysymOf('Enter'), 0xff0d);
    assert.equal(keysymOf('Backspace'), 0xff08);
    assert.equal(keysymOf('Tab'), 0xff09);
    assert.equal(keysymOf('Escape'), 0xff1b);
    assert.deepEqual(['ArrowLeft', 'ArrowUp', 'ArrowRight', 'ArrowDown'].map(keysymOf), [0xff51, 0xff52, 0xff53, 0xff54]);
    for (const k of ['Shift', 'Control', 'Dead', 'F13', 'Unidentified', '', 'ab', '\u0007', '\u007f']) assert.equal(keysymOf(k), null, JSON.stringify(k));
  });
  it('modifier mask and buttons in X11 terms', () => {
    assert.equal(modifierState({ shiftKey: true, ctrlKey: true, altKey: false }), 0x5);
    assert.equal(modifierState({ shiftKey: false, ctrlKey: false, altKey: true }), 0x8);
    assert.deepEqual([0, 1, 2, 3, 4].map(x11Button), [1, 2, 3, null, null]);
  });
  it('BGRX becomes RGBA, opaque whatever the qube put in the X byte', () => {
    const out = new Uint8ClampedArray(8);
    bgrxToRgba(new Uint8Array([1, 2, 3, 0, 10, 20, 30, 7]), out);
    assert.deepEqual([...out], [3, 2, 1, 255, 30, 20, 10, 255]);
  });
});
