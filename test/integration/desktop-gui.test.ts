// `bulkhead gui` as a process against the admin API's socket (a test server stands for the daemon's display routes):
// ensureWindowService starts one per display, it draws, sends clipboard keys to the API, follows a daemon restart, ends on SIGTERM.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { after, before, test } from 'node:test';
import { mkdirSync } from 'node:fs';
import { ensureWindowService, stopGui, DISPLAY_UPGRADE, LABEL_COLOURS } from '../../src/desktop/index.js';
import { Decoder, encode, type ClientMessage } from '../../src/desktop/protocol/index.js';
import { guiRecordFile } from '../../src/desktop/service-record.js';
import { livePid, pidAlive } from '../../src/exec/index.js';
import { startAdminDisplay, windowsOf, type AdminDisplay } from './helpers/xvfb.js';

let screen: AdminDisplay;
let home: string;
let server: http.Server | null = null;
const sockets = new Set<Duplex>();
const clipboard: string[] = [];
const received: ClientMessage[] = [];
let streams = 0;

const until = async (what: string, cond: () => boolean, ms = 15000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

/** The daemon's display routes as docs/desktop-protocol.md states them, with one qube 'work' showing one window. */
async function startFakeDaemon(): Promise<void> {
  const sock = join(home, 'admin', 'admin.sock');
  rmSync(sock, { force: true });
  server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/displays') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify([{ qube: 'work', label: 'green', colour: LABEL_COLOURS.green }]));
    } else if (req.method === 'GET' && req.url === '/events') {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write('{"event":"connected","data":{}}\n');
      sockets.add(res.socket!);
    } else if (req.method === 'POST' && req.url?.startsWith('/clipboard/')) {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        clipboard.push(`${req.url} ${body}`);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"source":"work","bytes":0}');
      });
    } else res.writeHead(404).end('{}');
  });
  server.on('upgrade', (req, socket: Duplex) => {
    sockets.add(socket);
    if (req.url !== '/qubes/work/display/stream' || req.headers.upgrade !== DISPLAY_UPGRADE) return void socket.end('HTTP/1.1 404 No\r\n\r\n');
    streams++;
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: ${DISPLAY_UPGRADE}\r\nconnection: Upgrade\r\n\r\n`);
    const px = new Uint8Array(200 * 100 * 4).fill(0x80);
    for (const m of [
      { kind: 'qube', window: 0, name: 'work', colour: LABEL_COLOURS.green },
      { kind: 'hello', window: 0, version: 1, screenWidth: 1024, screenHeight: 768 },
      { kind: 'create', window: 5, x: 50, y: 60, width: 200, height: 100, popup: false, fullscreen: false, transientFor: 0 },
      { kind: 'title', window: 5, title: 'via api' },
      { kind: 'map', window: 5 },
      { kind: 'pixels', window: 5, x: 0, y: 0, width: 200, height: 100, data: px },
    ] as const)
      socket.write(encode(m));
    const d = new Decoder('from-client');
    socket.on('data', (c: Buffer) => received.push(...(d.push(new Uint8Array(c)) as ClientMessage[])));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server!.listen(sock, r));
}

async function stopFakeDaemon(): Promise<void> {
  for (const s of sockets) s.destroy();
  sockets.clear();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = null;
}

const tree = () => windowsOf(screen.x('xwininfo', ['-root', '-tree']));

before(async () => {
  home = mkdtempSync(`/var/tmp/${process.env.BULKHEAD_TEST_RUN ?? 'bht'}-gui-`);
  mkdirSync(join(home, 'admin'), { mode: 0o700 });
  process.env.BULKHEAD_HOME = home;
  screen = await startAdminDisplay(1024, 768);
  await startFakeDaemon();
});

after(async () => {
  const pid = screen ? livePid(guiRecordFile(screen.display)) : null;
  if (pid) process.kill(pid, 'SIGKILL');
  await stopFakeDaemon();
  await screen?.stop();
  rmSync(home, { recursive: true, force: true });
});

test('ensureWindowService starts one bulkhead gui per display; it shows the qube window from the API stream', async () => {
  await ensureWindowService(screen.display);
  const file = guiRecordFile(screen.display);
  const pid = livePid(file);
  assert.ok(pid, 'a pid record for the display');
  await until('window shown', () => tree().some((w) => w.title === '[work] via api'));
  await ensureWindowService(screen.display);
  assert.equal(livePid(file), pid, 'the same service, not a second one');
});

test('keys go to the qube over the stream; Ctrl-Shift-C/V reach the API, not the qube', async () => {
  const w = tree().find((t) => t.title === '[work] via api')!;
  screen.x('xdotool', ['windowfocus', '--sync', String(w.id)]);
  screen.x('xdotool', ['type', 'k']);
  await until('key k', () => received.some((m) => m.kind === 'key' && m.keysym === 0x6b));
  screen.x('xdotool', ['key', 'ctrl+shift+c']);
  screen.x('xdotool', ['key', 'ctrl+shift+v']);
  await until('clipboard calls', () => clipboard.length >= 2);
  assert.deepEqual(clipboard, ['/clipboard/copy {"qube":"work"}', '/clipboard/paste {"qube":"work"}']);
  assert.ok(!received.some((m) => m.kind === 'key' && [0x63, 0x43, 0x76, 0x56].includes(m.keysym)));
});

test('after a daemon restart the service attaches again; gui --stop (SIGTERM) ends it and takes its record', async () => {
  const before = streams;
  await stopFakeDaemon();
  await until('window gone with the daemon', () => !tree().some((w) => w.title === '[work] via api'));
  await startFakeDaemon();
  await until('reattached', () => streams > before && tree().some((w) => w.title === '[work] via api'));
  const file = guiRecordFile(screen.display);
  const pid = livePid(file)!;
  // `bulkhead gui --stop`: SIGTERM to the recorded process, then wait for it to end.
  assert.equal(await stopGui({ display: screen.display }), `stopped the window service for ${screen.display} (pid ${pid})\n`);
  assert.equal(pidAlive(pid), false);
  assert.equal(existsSync(file), false, 'pid record removed');
  await until('windows gone', () => !tree().some((w) => w.title.startsWith('[work]')));
});

test('gui --stop with no service running says so', async () => {
  assert.equal(await stopGui({ display: screen.display }), `no window service runs for ${screen.display}\n`);
});
