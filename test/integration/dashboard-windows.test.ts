// The dashboard's Windows view in Debian's Chromium against a real qube's display: its xterm framed in the label colour, typed into, closed; the stream refused without the session or from a foreign page.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import WebSocket from 'ws';
import { encode } from '../../src/desktop/protocol/index.js';
import { ROOT, testDaemon, type TestDaemon } from './helpers/daemon.js';
import { freePort, launchChromium, type TestBrowser } from './helpers/chromium.js';
import { TEST_DESKTOP_TARBALL } from '../support/cache.js';

const SHOTS = join(ROOT, 'docs', 'dashboard');
/** Label blue (src/model labels). */
const BLUE = [0x34, 0x65, 0xa4];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An upgrade request with exactly these headers: the status the dashboard answers (101 when it upgrades). */
function upgrade(port: number, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    // A fresh connection each time (agent: false): the dashboard closes a refused upgrade's connection.
    const r = http.request({ host: '127.0.0.1', port, path, agent: false, headers: { host: `127.0.0.1:${port}`, connection: 'Upgrade', ...headers } });
    r.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    r.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    r.on('error', reject);
    r.setTimeout(10_000, () => r.destroy(new Error(`no answer to the upgrade of ${path}`)));
    r.end();
  });
}

const ws = (extra: Record<string, string>) => ({
  upgrade: 'websocket',
  'sec-websocket-version': '13',
  'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
  ...extra,
});

async function until<T>(what: string, fn: () => T | null | undefined | false | Promise<T | null | undefined | false>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(150);
  }
}

describe('dashboard: a qube’s windows in the page', { timeout: 240_000 }, () => {
  let d: TestDaemon;
  let port = 0;
  let base = '';
  let browser: TestBrowser | undefined;
  let ctx: BrowserContext;
  let page: Page;
  const bg: ChildProcess[] = [];
  /** `bulkhead ARGS` (DISPLAY is empty in d.env: `run` leaves the qube's display alone and starts no window service). */
  const noDisplay = (args: string[]) => d.cli(args);

  before(async () => {
    d = testDaemon('dashwin');
    d.env.DISPLAY = '';
    d.start();
    d.ok(['template', 'import', 'debian-12', TEST_DESKTOP_TARBALL], undefined, 300_000);
    d.ok(['create', 'a', '--template', 'debian-12', '--label', 'blue']);
    d.ok(['start', 'a']);
    port = await freePort();
    d.ok(['global', 'dashboard_port', String(port)]);
    base = `http://127.0.0.1:${port}`;
    mkdirSync(SHOTS, { recursive: true });
    browser = await launchChromium({ width: 1100, height: 700 });
    ({ ctx, page } = browser);
    const url = d.ok(['dashboard', 'url']).trim().split('\n').pop() as string;
    await page.goto(url);
    await page.waitForSelector('[data-testid=qubes-table]');
  });

  after(async () => {
    for (const p of bg) if (p.exitCode === null && p.pid) p.kill('SIGKILL');
    await browser?.close();
    await d?.destroy();
  });

  it("the Windows view shows A's xterm as a canvas titled `[a] hello`, in a frame of A's label colour on all four sides", async () => {
    await page.goto(`${base}/#/windows`);
    await page.click('[data-testid=windows-open-a]');
    await page.waitForSelector('[data-testid=qube-screen]', { timeout: 30_000 });
    // The qube's display runs now (the page started it): the command gets DISPLAY=:0 of the qube, never the admin's.
    bg.push(spawn(join(ROOT, 'bin', 'bulkhead'), ['run', 'a', '--', 'env', 'DISPLAY=:0', 'xterm', '-T', 'hello'], { env: d.env, stdio: 'ignore' }));
    const title = page.locator('[data-testid=window-title]', { hasText: '[a] hello' });
    await title.waitFor({ timeout: 30_000 });
    assert.equal(await title.textContent(), '[a] hello');
    const frame = page.locator('[data-testid=qube-window]', { has: title });
    const canvas = frame.locator('canvas');
    // Pixels arrived: xterm's white background somewhere in the middle of the canvas.
    await until('the xterm pixels', () =>
      canvas.evaluate((c: HTMLCanvasElement) => {
        const p = c.getContext('2d')!.getImageData(Math.floor(c.width / 2), Math.floor(c.height / 2), 1, 1).data;
        return p[3] === 255 && p[0]! > 200;
      }),
    );
    const box = (await frame.boundingBox())!;
    const png = (await page.screenshot()).toString('base64');
    // The screenshot, read back pixel by pixel in the page (img-src allows data:): 1 px inside the frame's outer edge, mid-side.
    const probes = {
      left: [box.x + 1, box.y + box.height / 2],
      right: [box.x + box.width - 2, box.y + box.height / 2],
      top: [box.x + box.width / 2, box.y + 1],
      bottom: [box.x + box.width / 2, box.y + box.height - 2],
    };
    const got = await page.evaluate(
      async ({ png, probes }) => {
        const img = new Image();
        img.src = `data:image/png;base64,${png}`;
        await img.decode();
        const c = document.createElement('canvas');
        c.width = img.width;
        c.height = img.height;
        const g = c.getContext('2d')!;
        g.drawImage(img, 0, 0);
        const out: Record<string, number[]> = {};
        for (const [side, [x, y]] of Object.entries(probes)) out[side] = [...g.getImageData(Math.round(x!), Math.round(y!), 1, 1).data].slice(0, 3);
        return out;
      },
      { png, probes },
    );
    for (const side of ['left', 'right', 'top', 'bottom']) {
      const px = got[side]!;
      assert.ok(
        px.every((v, i) => Math.abs(v - BLUE[i]!) <= 2),
        `${side} side of the frame is #${px.map((v) => v.toString(16).padStart(2, '0')).join('')}, not A's blue`,
      );
    }
    const width = await frame.evaluate((e) => getComputedStyle(e).borderLeftWidth);
    assert.ok(parseFloat(width) >= 3, `frame ${width}`);
  });

  it('text typed into the focused canvas reaches A: a command typed there runs in A', async () => {
    const canvas = page.locator('[data-testid=qube-window]', { hasText: '[a] hello' }).locator('canvas');
    await canvas.click();
    await page.keyboard.type('echo hi-from-page > /tmp/k');
    await page.keyboard.press('Enter');
    await until('/tmp/k in a', () => noDisplay(['run', 'a', '--', 'cat', '/tmp/k']).stdout === 'hi-from-page\n', 15_000);
    await sleep(300);
    await page.screenshot({ path: join(SHOTS, 'windows.png') });
    // Ctrl-Shift-C is the admin's clipboard key: the page calls the clipboard route for A and shows what it did; the qube never gets the key.
    await page.keyboard.press('Control+Shift+C');
    const notice = await page.locator('[data-testid=windows-notice]').textContent({ timeout: 10_000 });
    assert.match(notice ?? '', /^(Copied \d+ bytes from a\.|Clipboard copy: .+)$/);
  });

  it('the display WebSocket is refused without the session cookie, from a foreign Origin, without an Origin; the raw admin stream is not served here', async () => {
    const cookie = (await ctx.cookies(base)).find((c) => c.name === 'bh_dashboard');
    assert.ok(cookie, 'the page has a session');
    const path = '/api/qubes/a/display/ws';
    const session = `bh_dashboard=${cookie.value}`;
    assert.equal(await upgrade(port, path, ws({ origin: base })), 401, 'no cookie');
    assert.equal(await upgrade(port, path, ws({ origin: 'http://evil.example', cookie: session })), 403, 'foreign Origin');
    assert.equal(await upgrade(port, path, ws({ origin: base, cookie: session, 'sec-fetch-site': 'cross-site' })), 403, 'cross-site');
    assert.equal(await upgrade(port, path, ws({ cookie: session })), 403, 'no Origin');
    assert.equal(await upgrade(port, path, ws({ origin: base, cookie: 'bh_dashboard=forged' })), 401, 'forged cookie');
    // The same request with the session and the page's Origin does upgrade: the refusals above are the checks, not a broken route.
    assert.equal(await upgrade(port, path, ws({ origin: base, cookie: session })), 101, 'the page itself');
    // The admin socket's raw display stream has no session check: on the dashboard port it must not exist.
    assert.notEqual(await upgrade(port, '/qubes/a/display/stream', { upgrade: 'bulkhead-display' }), 101);
    assert.notEqual(await upgrade(port, '/api/qubes/a/display/stream', { upgrade: 'bulkhead-display', cookie: session, origin: base }), 101);
  });

  it('a client that stops reading is cut off past the bound (64 MiB unread); the page keeps its stream', async () => {
    const cookie = (await ctx.cookies(base)).find((c) => c.name === 'bh_dashboard')!;
    const c = new WebSocket(`ws://127.0.0.1:${port}/api/qubes/a/display/ws`, { headers: { cookie: `bh_dashboard=${cookie.value}`, origin: base } });
    await new Promise((ok, fail) => c.once('open', ok).once('error', fail));
    const closed = new Promise<number>((r) => c.once('close', (code) => r(code)));
    // Stop reading, then keep asking for full redraws of xterm (~600 KB each; the agent merges them to at most ~100 a second) far past the bound.
    const sock = (c as unknown as { _socket: net.Socket })._socket;
    sock.pause();
    const redraw = encode({ kind: 'redraw', window: 0 });
    const asking = setInterval(() => c.send(redraw), 10);
    await sleep(12_000);
    clearInterval(asking);
    sock.resume();
    // Cut off: the daemon ended the connection without a closing handshake (1006); a client it kept would stay open.
    const code = await Promise.race([closed, sleep(20_000).then(() => -1)]);
    assert.equal(code, 1006, 'the slow client was dropped');
    const stillThere = page.locator('[data-testid=qube-window]', { hasText: '[a] hello' });
    await stillThere.waitFor({ timeout: 5000 });
    assert.equal(await page.locator('[data-testid=qube-screen]').count(), 1);
  });

  it("closing the window in the page sends CLOSE: A's xterm goes away", async () => {
    const frame = page.locator('[data-testid=qube-window]', { hasText: '[a] hello' });
    await frame.locator('[data-testid=window-close]').click();
    await frame.waitFor({ state: 'detached', timeout: 15_000 });
    await until('the xterm command to end', () => bg[0]!.exitCode !== null, 15_000);
  });
});
