// Unit tests of the admin side's pure rules: placement and cutting, bands, titles, keysyms, clipboard keys, focus.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FocusTracker } from './focus.js';
import { FRAME_PX, QUBE_PIXEL_BUDGET_BYTES, contentOfFrame, fitsPixelBudget, keepsOverrideRedirect, placeWindow, rowBands, visiblePart } from './frame.js';
import { clipboardKey, keysymOf, MOD, type KeyboardMapping } from './keys.js';
import { composeTitle, wmClass } from './title.js';
import { Decoder, encode } from '../protocol/index.js';

const SCREEN = { width: 1280, height: 800 };
const req = (x: number, y: number, width: number, height: number, fullscreen = false) => ({ x, y, width, height, fullscreen });

test('a window is framed outside its pixels: the content keeps its size and sits FRAME_PX inside', () => {
  assert.ok(FRAME_PX >= 2);
  const p = placeWindow(req(100, 50, 300, 200), SCREEN);
  assert.deepEqual(p.content, { width: 300, height: 200 });
  assert.deepEqual(p.frame, { x: 100 - FRAME_PX, y: 50 - FRAME_PX, width: 300 + 2 * FRAME_PX, height: 200 + 2 * FRAME_PX });
});

test('placement table: cut to the screen minus the frame, moved whole onto the screen, full screen ignored', () => {
  const F = FRAME_PX;
  const cases: [string, ReturnType<typeof req>, { x: number; y: number; width: number; height: number }][] = [
    ['at the origin', req(0, 0, 10, 10), { x: 0, y: 0, width: 10 + 2 * F, height: 10 + 2 * F }],
    ['off to the left and top', req(-5000, -300, 100, 100), { x: 0, y: 0, width: 100 + 2 * F, height: 100 + 2 * F }],
    ['off to the right and bottom', req(5000, 5000, 100, 100), { x: 1280 - 100 - 2 * F, y: 800 - 100 - 2 * F, width: 100 + 2 * F, height: 100 + 2 * F }],
    ['larger than the screen', req(0, 0, 3840, 2160), { x: 0, y: 0, width: 1280, height: 800 }],
    ['asks for full screen', req(0, 0, 1280, 800, true), { x: 0, y: 0, width: 1280, height: 800 }],
    ['wider only', req(10, 10, 2000, 100), { x: 0, y: 10 - F, width: 1280, height: 100 + 2 * F }],
  ];
  for (const [what, r, frame] of cases) {
    const p = placeWindow(r, SCREEN);
    assert.deepEqual(p.frame, frame, what);
    assert.ok(p.frame.x >= 0 && p.frame.y >= 0 && p.frame.x + p.frame.width <= 1280 && p.frame.y + p.frame.height <= 800, what);
    assert.deepEqual(p.content, { width: p.frame.width - 2 * F, height: p.frame.height - 2 * F }, what);
  }
  // A full-screen request is never a window the size of the screen without its frame.
  const fs = placeWindow(req(0, 0, 1280, 800, true), SCREEN);
  assert.ok(fs.content.width <= 1280 - 2 * F && fs.content.height <= 800 - 2 * F);
});

test('a screen smaller than a frame still gives a 1 x 1 content', () => {
  const p = placeWindow(req(0, 0, 50, 50), { width: 4, height: 4 });
  assert.deepEqual(p.content, { width: 1, height: 1 });
  assert.deepEqual(contentOfFrame({ width: 2, height: 3 }), { width: 1, height: 1 });
  assert.deepEqual(contentOfFrame({ width: 406, height: 306 }, 3), { width: 400, height: 300 });
});

test('pixels outside the content shown are dropped', () => {
  assert.deepEqual(visiblePart({ x: 0, y: 0, width: 100, height: 100 }, { width: 50, height: 60 }), { x: 0, y: 0, width: 50, height: 60 });
  assert.deepEqual(visiblePart({ x: 40, y: 10, width: 20, height: 20 }, { width: 50, height: 60 }), { x: 40, y: 10, width: 10, height: 20 });
  assert.equal(visiblePart({ x: 50, y: 0, width: 20, height: 20 }, { width: 50, height: 60 }), null);
  assert.equal(visiblePart({ x: 0, y: 60, width: 20, height: 20 }, { width: 50, height: 60 }), null);
});

test('uploads are split in whole rows under the request limit, covering every row once', () => {
  for (const [w, h, max] of [
    [1280, 800, 262140],
    [1, 1, 4],
    [3840, 2160, 1 << 20],
    [7, 13, 29],
    [100, 3, 1],
  ] as const) {
    const bands = rowBands(w, h, max);
    let y = 0;
    for (const b of bands) {
      assert.equal(b.y, y);
      assert.ok(b.rows >= 1);
      assert.ok(b.rows === 1 || b.rows * w * 4 <= max, `${w}x${h}/${max}`);
      y += b.rows;
    }
    assert.equal(y, h);
  }
  assert.equal(rowBands(1280, 800, 16 << 20).length, 1);
  assert.equal(rowBands(1280, 800, 262140).length, Math.ceil(800 / Math.floor(262140 / 5120)));
});

test('the title is the admin prefix and then the qube title: forged prefixes stay behind the real one', () => {
  assert.equal(composeTitle('vault', '[work] x'), '[vault] [work] x');
  assert.equal(composeTitle('work', ''), '[work] ');
  assert.ok(composeTitle('work', '[vault] [vault]').startsWith('[work] '));
  // What the codec hands over: a newline or carriage return forged into the title is U+FFFD, never a line break.
  const d = new Decoder('to-client');
  const [m] = d.push(encode({ kind: 'title', window: 1, title: '\r\n[vault] y\u0085\u001b[2J' }));
  assert.equal(m?.kind, 'title');
  const shown = composeTitle('work', m?.kind === 'title' ? m.title : '');
  assert.ok(shown.startsWith('[work] '));
  assert.doesNotMatch(shown, /[\u0000-\u001f\u007f-\u009f]/);
  assert.equal(wmClass('work'), 'bulkhead-work\0Bulkhead\0');
});

// A US keyboard's rows for a few keycodes (as Xvfb's default mapping gives them).
const MAP: KeyboardMapping = {
  minKeycode: 8,
  rows: [
    [0, 0],
    ...Array.from({ length: 29 }, () => [0, 0]),
    /* 38 */ [0x61, 0x41],
    /* 39 */ [0x73, 0x53],
    ...Array.from({ length: 14 }, () => [0, 0]),
    /* 54 */ [0x63, 0x43],
    /* 55 */ [0x76, 0x56],
    ...Array.from({ length: 4 }, () => [0, 0]),
    /* 60 */ [0x2e, 0x3e],
    /* 61 */ [0x2f, 0],
  ],
};

test('keysyms from the admin keyboard mapping: Shift picks the second column, Lock upper-cases letters only', () => {
  assert.equal(keysymOf(MAP, 38, 0), 0x61);
  assert.equal(keysymOf(MAP, 38, MOD.shift), 0x41);
  assert.equal(keysymOf(MAP, 38, MOD.lock), 0x41);
  assert.equal(keysymOf(MAP, 60, 0), 0x2e);
  assert.equal(keysymOf(MAP, 60, MOD.shift), 0x3e);
  assert.equal(keysymOf(MAP, 60, MOD.lock), 0x2e);
  // A key with one keysym keeps it under Shift.
  assert.equal(keysymOf(MAP, 61, MOD.shift), 0x2f);
  // Keycodes outside the mapping (or below its first) give no keysym, so nothing is sent.
  assert.equal(keysymOf(MAP, 3, 0), 0);
  assert.equal(keysymOf(MAP, 255, 0), 0);
  assert.equal(keysymOf(MAP, 9, 0), 0);
});

test('Ctrl-Shift-C and Ctrl-Shift-V are the clipboard keys; nothing else is', () => {
  const cs = MOD.control | MOD.shift;
  assert.equal(clipboardKey(keysymOf(MAP, 54, cs), cs), 'copy');
  assert.equal(clipboardKey(keysymOf(MAP, 55, cs), cs), 'paste');
  assert.equal(clipboardKey(0x63, cs | MOD.lock | 0x8), 'copy');
  assert.equal(clipboardKey(0x63, MOD.control), null);
  assert.equal(clipboardKey(0x43, MOD.shift), null);
  assert.equal(clipboardKey(0x76, MOD.control), null);
  assert.equal(clipboardKey(0x61, cs), null);
  assert.equal(clipboardKey(0x63, 0), null);
});

test('focus: input only for the window that has it; pointer-root focus is not focus', () => {
  const f = new FocusTracker();
  assert.equal(f.allows(1), false);
  assert.equal(f.focusIn(1, 5), false, 'NotifyPointer');
  assert.equal(f.allows(1), false);
  assert.equal(f.focusIn(1, 3), true, 'NotifyNonlinear');
  assert.ok(f.allows(1) && !f.allows(2));
  assert.equal(f.focusOut(1, 2), false, 'focus to its own child keeps it');
  assert.ok(f.allows(1));
  assert.equal(f.focusOut(2, 3), false, 'another window losing focus changes nothing');
  assert.equal(f.set(2), true);
  assert.ok(f.allows(2) && !f.allows(1));
  f.forget(2);
  assert.equal(f.focused, null);
  f.focusIn(1, 0);
  assert.equal(f.focusOut(1, 3), true);
  assert.equal(f.allows(1), false);
});

test('a popup covering most of the screen is no longer override-redirect; menus and tooltips stay popups', () => {
  assert.equal(keepsOverrideRedirect({ width: 200, height: 300 }, SCREEN), true);
  assert.equal(keepsOverrideRedirect({ width: 1274, height: 300 }, SCREEN), true, 'a wide strip');
  assert.equal(keepsOverrideRedirect({ width: 300, height: 794 }, SCREEN), true, 'a tall strip');
  assert.equal(keepsOverrideRedirect({ width: 1152, height: 720 }, SCREEN), false, '90 % both ways');
  assert.equal(keepsOverrideRedirect(placeWindow(req(-10, -10, 3840, 2160), SCREEN).content, SCREEN), false);
});

test("a qube's window pixels on the admin X server stay under the budget", () => {
  const full = { width: 1920, height: 1080 };
  const n = Math.floor(QUBE_PIXEL_BUDGET_BYTES / (1920 * 1080 * 4));
  assert.equal(fitsPixelBudget(Array.from({ length: n }, () => full)), true);
  assert.equal(fitsPixelBudget(Array.from({ length: n + 1 }, () => full)), false);
  assert.equal(fitsPixelBudget([]), true);
  assert.equal(fitsPixelBudget([{ width: 10, height: 10 }], 399), false);
});
