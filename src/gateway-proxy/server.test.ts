// The control-port filter against a fake tor control server on 127.0.0.1: forwarding, 510s, rewrite, cookie.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startControlFilter, loadProfile, ReplyReader, type ControlFilter } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'bh-ctlfilter-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const cookie = randomBytes(32);
const cookiePath = join(dir, 'control_auth_cookie');
writeFileSync(cookiePath, cookie);
const profilePath = new URL('../../gateway-profiles/default.json', import.meta.url).pathname;

const ANSWERS: Record<string, string> = {
  'GETINFO version': '250-version=0.4.9.11-fake\r\n250 OK\r\n',
  'GETINFO net/listeners/socks': '250-net/listeners/socks="10.152.152.10:20050" "10.152.152.10:20150"\r\n250 OK\r\n',
  'GETINFO status/circuit-established': '650 STATUS_CLIENT NOTICE CIRCUIT_ESTABLISHED\r\n250-status/circuit-established=1\r\n250 OK\r\n',
  'GETINFO consensus/valid-after': '250+consensus/valid-after=\r\n2025-01-01 00:00:00\r\n.\r\n250 OK\r\n',
  'SIGNAL NEWNYM': '250 OK\r\n',
};

/** A fake tor: checks the cookie, answers from ANSWERS, records every line it receives. */
async function fakeTor(): Promise<{ server: Server; port: number; received: string[] }> {
  const received: string[] = [];
  const server = createServer((s: Socket) => {
    let authed = false;
    let buf = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      buf += d;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i).replace(/\r$/, '');
        buf = buf.slice(i + 1);
        received.push(line);
        if (!authed) {
          authed = line === `AUTHENTICATE ${cookie.toString('hex')}`;
          s.write(authed ? '250 OK\r\n' : '515 Authentication failed: Wrong length on authentication cookie.\r\n');
          if (!authed) s.end();
          continue;
        }
        s.write(ANSWERS[line] ?? '510 Unrecognized command\r\n');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  return { server, port: typeof a === 'object' && a ? a.port : 0, received };
}

/** A workstation-side client: send a line, await one complete reply. */
async function client(port: number) {
  const s = connect(port, '127.0.0.1');
  s.setEncoding('utf8');
  const replies: string[] = [];
  const waiters: ((r: string) => void)[] = [];
  const reader = new ReplyReader((r) => (waiters.length ? waiters.shift()!(r) : replies.push(r)));
  s.on('data', (d: string) => reader.feed(d));
  const closed = new Promise<void>((r) => s.on('close', () => r()));
  await new Promise<void>((r) => s.once('connect', () => r()));
  return {
    ask: (line: string) =>
      new Promise<string>((resolve) => {
        waiters.push(resolve);
        s.write(line + '\r\n');
      }),
    raw: (data: string) => s.write(data),
    closed,
    end: () => s.destroy(),
  };
}

test('forwards allowed commands, answers 510 to the rest, rewrites the SOCKS listener answer', async () => {
  const tor = await fakeTor();
  const profile = await loadProfile(profilePath);
  let filter: ControlFilter | undefined;
  try {
    filter = await startControlFilter({
      listenHost: '127.0.0.1', listenPort: 0, torControl: { host: '127.0.0.1', port: tor.port }, cookiePath, profile,
      socksAddress: '10.152.152.10:9150',
    });
    const c = await client(filter.address.port);
    assert.equal(await c.ask('PROTOCOLINFO 1'), '250-PROTOCOLINFO 1\r\n250-AUTH METHODS=NULL\r\n250-VERSION Tor="0.4.9.11-fake"\r\n250 OK\r\n');
    assert.equal(await c.ask('AUTHENTICATE'), '250 OK\r\n');
    assert.equal(await c.ask('GETINFO version'), ANSWERS['GETINFO version']);
    assert.equal(await c.ask('GETINFO address'), '510 Command filtered\r\n');
    assert.equal(await c.ask('SETCONF SocksPort=0.0.0.0:9050'), '510 Command filtered\r\n');
    assert.equal(await c.ask('ADD_ONION NEW:BEST Port=80,127.0.0.1:80'), '510 Command filtered\r\n');
    assert.equal(await c.ask('GETCONF ControlPort'), '510 Command filtered\r\n');
    assert.equal(await c.ask('SETEVENTS CIRC STREAM'), '510 Command filtered\r\n');
    assert.equal(await c.ask('SETEVENTS SIGNAL'), '250 OK\r\n');
    assert.equal(await c.ask('GETINFO net/listeners/socks'), '250-net/listeners/socks="10.152.152.10:9150"\r\n250 OK\r\n');
    assert.equal(await c.ask('GETINFO status/circuit-established'), '250-status/circuit-established=1\r\n250 OK\r\n', 'async 650 dropped');
    assert.equal(await c.ask('GETINFO consensus/valid-after'), ANSWERS['GETINFO consensus/valid-after']);
    assert.equal(await c.ask('signal NEWNYM'), '250 OK\r\n');
    assert.equal(await c.ask('QUIT'), '250 closing connection\r\n');
    await c.closed;
    assert.deepEqual(tor.received, [
      `AUTHENTICATE ${cookie.toString('hex')}`,
      'GETINFO version',
      'GETINFO version',
      'GETINFO net/listeners/socks',
      'GETINFO status/circuit-established',
      'GETINFO consensus/valid-after',
      'SIGNAL NEWNYM',
    ], 'tor saw only allowed commands and the filter\'s own cookie');
  } finally {
    await filter?.close();
    tor.server.close();
  }
});

test('pipelined lines are answered in order; an over-long line closes the connection', async () => {
  const tor = await fakeTor();
  const profile = await loadProfile(profilePath);
  const filter = await startControlFilter({ listenHost: '127.0.0.1', listenPort: 0, torControl: { host: '127.0.0.1', port: tor.port }, cookiePath, profile });
  try {
    const c = await client(filter.address.port);
    const replies = await Promise.all([c.ask('GETINFO version'), c.ask('GETINFO address'), c.ask('SIGNAL NEWNYM')]);
    assert.deepEqual(replies, [ANSWERS['GETINFO version'], '510 Command filtered\r\n', '250 OK\r\n']);
    c.raw('GETINFO ' + 'a'.repeat(20000));
    await c.closed;
  } finally {
    await filter.close();
    tor.server.close();
  }
});

test('a wrong cookie or an absent tor closes the workstation connection with 551', async () => {
  const tor = await fakeTor();
  const profile = await loadProfile(profilePath);
  const wrong = join(dir, 'wrong_cookie');
  writeFileSync(wrong, randomBytes(32));
  const f1 = await startControlFilter({ listenHost: '127.0.0.1', listenPort: 0, torControl: { host: '127.0.0.1', port: tor.port }, cookiePath: wrong, profile });
  const stopped = createServer();
  await new Promise<void>((r) => stopped.listen(0, '127.0.0.1', r));
  const deadPort = (stopped.address() as { port: number }).port;
  await new Promise<void>((r) => stopped.close(() => r()));
  const f2 = await startControlFilter({ listenHost: '127.0.0.1', listenPort: 0, torControl: { host: '127.0.0.1', port: deadPort }, cookiePath, profile });
  try {
    for (const f of [f1, f2]) {
      const c = await client(f.address.port);
      assert.equal(await c.ask('GETINFO version'), '551 Tor is not reachable\r\n');
      await c.closed;
    }
    assert.deepEqual(tor.received.filter((l) => !l.startsWith('AUTHENTICATE')), [], 'nothing forwarded without authentication');
  } finally {
    await f1.close();
    await f2.close();
    tor.server.close();
  }
});

test('reply framing: mid lines, data blocks, async events', () => {
  const got: string[] = [];
  const r = new ReplyReader((x) => got.push(x));
  r.feed('650 BW 1 2\r\n250-a=1\r\n25');
  r.feed('0+b=\r\nline 250 OK\r\n.\r\n250 OK\r\n510 x\r\n');
  assert.deepEqual(got, ['250-a=1\r\n250+b=\r\nline 250 OK\r\n.\r\n250 OK\r\n', '510 x\r\n']);
});
