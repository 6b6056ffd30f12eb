// The window service on a real X display (Xvfb): frames in the label colour, admin-side titles, placement policy, input only to the focused qube, clipboard keys.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FRAME_PX, LABEL_COLOURS, WindowService, openDisplay, type XConnection } from '../../src/desktop/index.js';
import type { Message } from '../../src/desktop/protocol/index.js';
import { x11 } from '../../src/desktop/x11/raw.js';
import { FakeDisplays } from './helpers/display-source.js';
import { pixelAt, startAdminDisplay, windowsOf, type AdminDisplay } from './helpers/xvfb.js';
import { ROOT } from './helpers/daemon.js';

const SHOTS = join(ROOT, 'test-results', 'desktop');
const W = 320;
const H = 200;

let screen: AdminDisplay;
let xc: XConnection;
let source: FakeDisplays;
let service: WindowService;
const painted: string[] = [];
const logs: string[] = [];

const until = async (what: string, cond: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** BGRX pixels of one colour (0xRRGGBB). */
function solid(width: number, height: number, rgb: number): Uint8Array {
  const out = new Uint8Array(width * height * 4);
  for (let i = 0; i < out.length; i += 4) {
    out[i] = rgb & 0xff;
    out[i + 1] = (rgb >> 8) & 0xff;
    out[i + 2] = (rgb >> 16) & 0xff;
  }
  return out;
}

function openWindow(
  qube: string,
  win: number,
  o: {
    x?: number;
    y?: number;
    width?: number;
    height?: number;
    title?: string;
    popup?: boolean;
    fullscreen?: boolean;
    rgb?: number;
    transientFor?: number;
  } = {},
): void {
  const width = o.width ?? W;
  const height = o.height ?? H;
  const msgs: Message[] = [
    {
      kind: 'create',
      window: win,
      x: o.x ?? 100,
      y: o.y ?? 100,
      width,
      height,
      popup: o.popup ?? false,
      fullscreen: o.fullscreen ?? false,
      transientFor: o.transientFor ?? 0,
    },
    { kind: 'title', window: win, title: o.title ?? 'hello' },
    { kind: 'map', window: win },
    {
      kind: 'pixels',
      window: win,
      x: 0,
      y: 0,
      width: Math.min(width, 1024),
      height: Math.min(height, 1024),
      data: solid(Math.min(width, 1024), Math.min(height, 1024), o.rgb ?? 0xffffff),
    },
  ];
  source.send(qube, ...msgs);
}

const tree = () => windowsOf(screen.x('xwininfo', ['-root', '-tree']));
const byTitle = (t: string) => tree().find((w) => w.title === t);

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  screen = await startAdminDisplay(1280, 1024);
  xc = await openDisplay(screen.display);
  source = new FakeDisplays();
  source.add('work', LABEL_COLOURS.blue, false);
  source.add('vault', LABEL_COLOURS.black, false);
  service = new WindowService({ xc, source, retryMs: 100, painted: (q, w) => painted.push(`${q}/${w}`), log: (m) => logs.push(m) });
  service.start();
  await until('both qubes attached', () => source.attached('work') && source.attached('vault'));
  source.send('work', { kind: 'hello', window: 0, version: 1, screenWidth: 1920, screenHeight: 1080 });
  source.send('vault', { kind: 'hello', window: 0, version: 1, screenWidth: 1920, screenHeight: 1080 });
});

after(async () => {
  await service?.stop();
  await new Promise<void>((r) => (xc ? xc.X.close(() => r()) : r()));
  source?.close();
  await screen?.stop();
});

test('a qube window appears titled [QUBE] by the admin side, framed in the label colour on all four sides', async () => {
  openWindow('work', 11, { x: 200, y: 150, title: 'hello from work', rgb: 0xffffff });
  await until('painted', () => painted.includes('work/11'));
  await until('in the tree', () => byTitle('[work] hello from work') !== undefined);
  const w = byTitle('[work] hello from work')!;
  assert.equal(w.width, W + 2 * FRAME_PX);
  assert.equal(w.height, H + 2 * FRAME_PX);
  await xc.X.sync();
  const shot = screen.screenshot(join(SHOTS, 'frame-work.png'));
  const blue = LABEL_COLOURS.blue;
  // Every pixel of every side of the frame, FRAME_PX deep, is the label colour.
  for (let d = 0; d < FRAME_PX; d++) {
    for (let x = w.x; x < w.x + w.width; x++) {
      assert.equal(pixelAt(shot, x, w.y + d), blue, `top (${x},${w.y + d})`);
      assert.equal(pixelAt(shot, x, w.y + w.height - 1 - d), blue, `bottom (${x})`);
    }
    for (let y = w.y; y < w.y + w.height; y++) {
      assert.equal(pixelAt(shot, w.x + d, y), blue, `left (${y})`);
      assert.equal(pixelAt(shot, w.x + w.width - 1 - d, y), blue, `right (${y})`);
    }
  }
  // The qube's pixels are inside, untouched; outside the frame is the root.
  assert.equal(pixelAt(shot, w.x + FRAME_PX, w.y + FRAME_PX), 0xffffff);
  assert.equal(pixelAt(shot, w.x + w.width / 2, w.y + w.height / 2), 0xffffff);
  assert.notEqual(pixelAt(shot, w.x - 1, w.y - 1), blue);
  // WM_CLASS is the service's own.
  const props = screen.x('xprop', ['-id', String(w.id), 'WM_CLASS', '_NET_WM_NAME', '_NET_WM_STATE']);
  assert.match(props, /WM_CLASS\(STRING\) = "bulkhead-work", "Bulkhead"/);
  assert.match(props, /_NET_WM_NAME\(UTF8_STRING\) = "\[work\] hello from work"/);
  assert.match(props, /_NET_WM_STATE:\s+(not found|no such atom)/);
});

test('a qube painting its own edge in another colour cannot change the frame', async () => {
  openWindow('vault', 21, { x: 700, y: 150, title: 'edge', rgb: LABEL_COLOURS.red });
  await until('painted', () => painted.includes('vault/21'));
  await until('in the tree', () => byTitle('[vault] edge') !== undefined);
  const w = byTitle('[vault] edge')!;
  await xc.X.sync();
  const shot = screen.screenshot(join(SHOTS, 'frame-vault.png'));
  for (let d = 0; d < FRAME_PX; d++) {
    assert.equal(pixelAt(shot, w.x + 10, w.y + d), LABEL_COLOURS.black);
    assert.equal(pixelAt(shot, w.x + d, w.y + 10), LABEL_COLOURS.black);
  }
  assert.equal(pixelAt(shot, w.x + FRAME_PX, w.y + FRAME_PX), LABEL_COLOURS.red);
});

test('a forged title keeps the real prefix; control characters do not reach the title', async () => {
  source.send('vault', { kind: 'title', window: 21, title: '[work] x' });
  await until('retitled', () => byTitle('[vault] [work] x') !== undefined);
  assert.equal(byTitle('[work] x'), undefined);
  source.send('vault', { kind: 'title', window: 21, title: '\n[work] y\r' });
  await until('retitled', () => tree().some((t) => t.title.startsWith('[vault] ') && t.title.includes('[work] y')));
  assert.ok(!tree().some((t) => t.title.startsWith('[work] y')));
});

test('full screen is refused and a window larger than the screen is cut to it', async () => {
  openWindow('work', 12, { x: 0, y: 0, width: 3840, height: 2160, title: 'big', fullscreen: true });
  await until('big shown', () => byTitle('[work] big') !== undefined);
  const w = byTitle('[work] big')!;
  assert.equal(w.width, 1280);
  assert.equal(w.height, 1024);
  assert.equal(w.x, 0);
  assert.equal(w.y, 0);
  const props = screen.x('xprop', ['-id', String(w.id), '_NET_WM_STATE']);
  assert.match(props, /not found|no such atom/);
  await xc.X.sync();
  const shot = screen.screenshot(join(SHOTS, 'fullscreen-refused.png'));
  // The frame is still there on all four sides: the qube did not cover the screen with its own pixels.
  assert.equal(pixelAt(shot, 0, 500), LABEL_COLOURS.blue);
  assert.equal(pixelAt(shot, 1279, 500), LABEL_COLOURS.blue);
  assert.equal(pixelAt(shot, 640, 0), LABEL_COLOURS.blue);
  assert.equal(pixelAt(shot, 640, 1023), LABEL_COLOURS.blue);
  source.send('work', { kind: 'destroy', window: 12 });
  await until('big gone', () => byTitle('[work] big') === undefined);
});

test('a popup off screen is framed and kept inside the screen; a transient window names its parent', async () => {
  openWindow('work', 13, { x: 1250, y: -400, width: 200, height: 120, title: 'menu', popup: true, rgb: 0x00ff00, transientFor: 11 });
  await until('popup shown', () => byTitle('[work] menu') !== undefined);
  const w = byTitle('[work] menu')!;
  assert.ok(w.x >= 0 && w.x + w.width <= 1280, `x ${w.x}`);
  assert.ok(w.y >= 0 && w.y + w.height <= 1024, `y ${w.y}`);
  assert.equal(w.width, 200 + 2 * FRAME_PX);
  await xc.X.sync();
  const shot = screen.screenshot(join(SHOTS, 'popup.png'));
  assert.equal(pixelAt(shot, w.x, w.y + 50), LABEL_COLOURS.blue);
  assert.equal(pixelAt(shot, w.x + w.width - 1, w.y + 50), LABEL_COLOURS.blue);
  assert.equal(pixelAt(shot, w.x + 50, w.y + w.height - 1), LABEL_COLOURS.blue);
  const parent = byTitle('[work] hello from work')!;
  const props = screen.x('xprop', ['-id', String(w.id), 'WM_TRANSIENT_FOR']);
  assert.match(props, new RegExp(`window id # 0x${parent.id.toString(16)}`));
  source.send('work', { kind: 'destroy', window: 13 });
  await until('popup gone', () => byTitle('[work] menu') === undefined);
});

test('a popup the size of the screen is drawn as a managed window, not an unmovable sheet', async () => {
  openWindow('work', 14, { x: 0, y: 0, width: 3000, height: 2000, title: 'sheet', popup: true });
  await until('sheet shown', () => byTitle('[work] sheet') !== undefined);
  const w = byTitle('[work] sheet')!;
  assert.match(screen.x('xwininfo', ['-id', String(w.id)]), /Override Redirect State: no/);
  const menu = (openWindow('work', 15, { x: 10, y: 10, width: 100, height: 50, title: 'small menu', popup: true }), 15);
  await until('menu shown', () => byTitle('[work] small menu') !== undefined);
  assert.match(screen.x('xwininfo', ['-id', String(byTitle('[work] small menu')!.id)]), /Override Redirect State: yes/);
  source.send('work', { kind: 'destroy', window: 14 }, { kind: 'destroy', window: menu });
  await until('gone', () => byTitle('[work] sheet') === undefined && byTitle('[work] small menu') === undefined);
});

test("a qube past the admin side's pixel budget loses its display; other qubes keep theirs", async () => {
  source.add('flood', LABEL_COLOURS.red);
  await until('flood attached', () => source.attached('flood'));
  source.send('flood', { kind: 'hello', window: 0, version: 1, screenWidth: 3840, screenHeight: 2160 });
  // Each window is cut to the admin screen (1274 x 1018 here); 64 of them would hold 330 MB of the admin X server.
  for (let i = 1; i <= 64; i++) {
    source.send('flood', { kind: 'create', window: i, x: 0, y: 0, width: 3840, height: 2160, popup: false, fullscreen: false, transientFor: 0 });
  }
  await until('flood dropped', () => !source.attached('flood') || source.qubes.get('flood')!.peer!.readableEnded);
  await until('no flood window', () => !tree().some((t) => t.title.startsWith('[flood]')));
  assert.ok(
    logs.some((l) => l.startsWith('display of flood: ') && l.includes("over the admin side's budget")),
    logs.join('\n'),
  );
  assert.ok(byTitle('[work] hello from work'), 'work keeps its window');
});

test('keys typed into the focused window reach only its qube, as keysyms; the clipboard keys never reach it', async () => {
  const work = byTitle('[work] hello from work')!;
  const vault = tree().find((t) => t.title.startsWith('[vault] '))!;
  const wq = source.qubes.get('work')!;
  const vq = source.qubes.get('vault')!;
  // Without focus nothing is sent, even with the pointer over the window.
  screen.x('xdotool', ['mousemove', String(work.x + 50), String(work.y + 50)]);
  screen.x('xdotool', ['type', '--delay', '5', 'zz']);
  await xc.X.sync();
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(wq.received.filter((m) => m.kind === 'key').length, 0, 'no key without focus');
  screen.x('xdotool', ['windowfocus', '--sync', String(work.id)]);
  await until('focus sent', () => wq.received.some((m) => m.kind === 'focus' && m.focused));
  vq.received.length = 0;
  screen.x('xdotool', ['type', '--delay', '5', 'aB1']);
  await until('keys', () => wq.received.filter((m) => m.kind === 'key' && m.pressed).length >= 4);
  const pressed = wq.received.filter((m) => m.kind === 'key' && m.pressed).map((m) => (m.kind === 'key' ? m.keysym : 0));
  // a, Shift, B, 1 (xdotool presses Shift for the capital).
  assert.deepEqual(
    pressed.filter((k) => k < 0xff00),
    [0x61, 0x42, 0x31],
  );
  assert.ok(wq.received.every((m) => m.window === 11 || m.kind === 'focus'));
  assert.equal(vq.received.length, 0, 'nothing reached vault');
  // Ctrl-Shift-C and Ctrl-Shift-V call the daemon's clipboard and are not sent.
  wq.received.length = 0;
  screen.x('xdotool', ['key', 'ctrl+shift+c']);
  screen.x('xdotool', ['key', 'ctrl+shift+v']);
  await until('clipboard calls', () => source.clipboardCalls.length >= 2);
  assert.deepEqual(source.clipboardCalls, ['copy work', 'paste work']);
  await xc.X.sync();
  await new Promise((r) => setTimeout(r, 100));
  const keys = wq.received.filter((m) => m.kind === 'key').map((m) => (m.kind === 'key' ? m.keysym : 0));
  assert.ok(!keys.some((k) => k === 0x63 || k === 0x43 || k === 0x76 || k === 0x56), `clipboard keys leaked: ${keys.map((k) => k.toString(16))}`);
  // A click in a menu of the focused qube goes to the menu, and the window that opened it keeps the focus.
  openWindow('work', 16, { x: 900, y: 600, width: 120, height: 80, title: 'a menu', popup: true, transientFor: 11 });
  await until('menu', () => byTitle('[work] a menu') !== undefined);
  const menu = byTitle('[work] a menu')!;
  wq.received.length = 0;
  screen.x('xdotool', ['mousemove', String(menu.x + FRAME_PX + 5), String(menu.y + FRAME_PX + 6), 'click', '1']);
  await until('menu click', () => wq.received.some((m) => m.kind === 'button' && !m.pressed));
  assert.deepEqual(
    wq.received.find((m) => m.kind === 'button' && m.pressed),
    { kind: 'button', window: 16, button: 1, pressed: true, x: 5, y: 6 },
  );
  assert.ok(!wq.received.some((m) => m.kind === 'focus'), 'focus stays with the window that opened the menu');
  source.send('work', { kind: 'destroy', window: 16 });
  await until('menu gone', () => byTitle('[work] a menu') === undefined);
  // A click in the other window moves focus there; the click and the motion go to vault, window-relative.
  vq.received.length = 0;
  screen.x('xdotool', ['mousemove', String(vault.x + FRAME_PX + 10), String(vault.y + FRAME_PX + 20), 'click', '1']);
  await until('click', () => vq.received.some((m) => m.kind === 'button' && !m.pressed)).catch((e) => {
    throw new Error(`${e.message}: vault ${JSON.stringify(vault)} got ${JSON.stringify(vq.received)} tree ${JSON.stringify(tree())}`);
  });
  const press = vq.received.find((m) => m.kind === 'button' && m.pressed);
  assert.deepEqual(press, { kind: 'button', window: 21, button: 1, pressed: true, x: 10, y: 20 });
  assert.ok(
    wq.received.some((m) => m.kind === 'focus' && !m.focused),
    'work lost focus',
  );
  wq.received.length = 0;
  screen.x('xdotool', ['type', 'q']);
  await until('q in vault', () => vq.received.some((m) => m.kind === 'key' && m.keysym === 0x71));
  assert.equal(wq.received.filter((m) => m.kind === 'key').length, 0);
});

test('WM_DELETE_WINDOW becomes CLOSE for that window; a resize by the admin becomes RESIZE', async () => {
  const work = byTitle('[work] hello from work')!;
  const wq = source.qubes.get('work')!;
  wq.received.length = 0;
  // Another X client (a window manager would do this) asks the window to close, then resizes its frame.
  await new Promise<void>((resolve, reject) => {
    x11.createClient({ display: screen.display, shm: false }, (err, d) => {
      if (err) return reject(err);
      const X = d.client as unknown as {
        SendEvent(dest: number, prop: number, mask: number, ev: Buffer): void;
        sync(): Promise<void>;
        close(cb: () => void): void;
      };
      const ev = Buffer.alloc(32);
      ev[0] = 33;
      ev[1] = 32;
      ev.writeUInt32LE(work.id, 4);
      ev.writeUInt32LE(xc.atoms.WM_PROTOCOLS, 8);
      ev.writeUInt32LE(xc.atoms.WM_DELETE_WINDOW, 12);
      X.SendEvent(work.id, 0, 0, ev);
      d.client.ConfigureWindow(work.id, { width: 400 + 2 * FRAME_PX, height: 300 + 2 * FRAME_PX });
      void X.sync().then(() => X.close(() => resolve()));
    });
  });
  await until('close and resize', () => wq.received.some((m) => m.kind === 'close') && wq.received.some((m) => m.kind === 'resize'));
  assert.deepEqual(
    wq.received.find((m) => m.kind === 'close'),
    { kind: 'close', window: 11 },
  );
  assert.deepEqual(
    wq.received.find((m) => m.kind === 'resize'),
    { kind: 'resize', window: 11, width: 400, height: 300 },
  );
});

test('a fault on one qube stream takes only that qube off the screen; a daemon restart brings every display back', async () => {
  // A PIXELS rectangle outside its window: the admin side's own table refuses it and drops the stream.
  source.send('vault', { kind: 'pixels', window: 21, x: W, y: 0, width: 10, height: 10, data: solid(10, 10, 0) });
  await until('vault gone', () => !tree().some((t) => t.title.startsWith('[vault] ')));
  assert.ok(
    logs.some((l) => l.startsWith('display of vault: ') && l.includes('outside the')),
    logs.join('\n'),
  );
  assert.ok(byTitle('[work] hello from work'), 'work stays');
  // The event stream ends (the daemon restarted): every display is opened again.
  const opens = source.opens;
  source.restart();
  await until('work gone with its stream', () => byTitle('[work] hello from work') === undefined);
  await until('reattached', () => source.opens >= opens + 2 && source.attached('work') && source.attached('vault'));
  openWindow('work', 31, { title: 'again' });
  await until('shown again', () => byTitle('[work] again') !== undefined);
  // display-stopped removes the qube's windows.
  source.remove('work');
  await until('removed', () => byTitle('[work] again') === undefined);
});
