// The control-port filter against a fake tor control server on 127.0.0.1: forwarding, 510s, rewrite, password, bounds.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { startControlFilter, loadProfile, MAX_QUEUED, type ControlFilter } from './index.js';
import { ReplyParser, replyText } from '../tor-control/index.js';
import { newControlPassword, MAX_LINE } from '../gateway/index.js';

const password = newControlPassword();
const profilePath = new URL('../../gateway-profiles/default.json', import.meta.url).pathname;

const ANSWERS: Record<string, string> = {
  'GETINFO version': '250-version=0.4.9.11-fake\r\n250 OK\r\n',
  'GETINFO net/listeners/socks': '250-net/listeners/socks="10.152.152.10:20050" "10.152.152.10:20150"\r\n250 OK\r\n',
  'GETINFO status/circuit-established': '650 STATUS_CLIENT NOTICE CIRCUIT_ESTABLISHED\r\n250-status/circuit-established=1\r\n250 OK\r\n',
  'GETINFO consensus/valid-after': '250+consensus/valid-after=\r\n2025-01-01 00:00:00\r\n.\r\n250 OK\r\n',
  'SIGNAL NEWNYM': '250 OK\r\n',
};

/** A fake tor: checks the password, answers from ANSWERS (or `answer`), records every line it receives. */
async function fakeTor(
  answer: (line: string) => string | undefined = (l) => ANSWERS[l],
): Promise<{ server: Server; port: number; received: string[]; stop(): void }> {
  const received: string[] = [];
  const open = new Set<Socket>();
  const server = createServer((s: Socket) => {
    open.add(s);
    s.on('close', () => open.delete(s));
    s.on('error', () => s.destroy());
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
          authed = line === `AUTHENTICATE "${password}"`;
          s.write(authed ? '250 OK\r\n' : '515 Authentication failed: Password did not match HashedControlPassword value from configuration\r\n');
          if (!authed) s.end();
          continue;
        }
        s.write(answer(line) ?? '510 Unrecognized command\r\n');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  const stop = () => {
    for (const s of open) s.destroy();
    server.close();
  };
  return { server, port: typeof a === 'object' && a ? a.port : 0, received, stop };
}

/** A workstation-side client: send a line, await one complete reply. */
async function client(port: number) {
  const s = connect(port, '127.0.0.1');
  s.setEncoding('utf8');
  const replies: string[] = [];
  const waiters: ((r: string) => void)[] = [];
  const parser = new ReplyParser();
  const got = (r: string) => (waiters.length ? waiters.shift()!(r) : replies.push(r));
  s.on('data', (d: string) => {
    for (const r of parser.push(d)) if (r.status !== 650) got(replyText(r));
  });
  s.on('error', () => s.destroy()); // the filter may reset a connection it closes with data unread
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
      listenHost: '127.0.0.1',
      listenPort: 0,
      torControl: { host: '127.0.0.1', port: tor.port },
      password,
      profile,
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
    assert.deepEqual(
      tor.received,
      [
        `AUTHENTICATE "${password}"`,
        'GETINFO version',
        'GETINFO version',
        'GETINFO net/listeners/socks',
        'GETINFO status/circuit-established',
        'GETINFO consensus/valid-after',
        'SIGNAL NEWNYM',
      ],
      "tor saw only allowed commands and the filter's own password",
    );
  } finally {
    await filter?.close();
    tor.stop();
  }
});

test('pipelined lines are answered in order; an over-long line closes the connection', async () => {
  const tor = await fakeTor();
  const profile = await loadProfile(profilePath);
  const filter = await startControlFilter({ listenHost: '127.0.0.1', listenPort: 0, torControl: { host: '127.0.0.1', port: tor.port }, password, profile });
  try {
    const c = await client(filter.address.port);
    const replies = await Promise.all([c.ask('GETINFO version'), c.ask('GETINFO address'), c.ask('SIGNAL NEWNYM')]);
    assert.deepEqual(replies, [ANSWERS['GETINFO version'], '510 Command filtered\r\n', '250 OK\r\n']);
    c.raw('GETINFO ' + 'a'.repeat(20000));
    await c.closed;
  } finally {
    await filter.close();
    tor.stop();
  }
});

test('a wrong password or an absent tor closes the workstation connection with 551', async () => {
  const tor = await fakeTor();
  const profile = await loadProfile(profilePath);
  const f1 = await startControlFilter({
    listenHost: '127.0.0.1',
    listenPort: 0,
    torControl: { host: '127.0.0.1', port: tor.port },
    password: newControlPassword(),
    profile,
  });
  const stopped = createServer();
  await new Promise<void>((r) => stopped.listen(0, '127.0.0.1', r));
  const deadPort = (stopped.address() as { port: number }).port;
  await new Promise<void>((r) => stopped.close(() => r()));
  const f2 = await startControlFilter({ listenHost: '127.0.0.1', listenPort: 0, torControl: { host: '127.0.0.1', port: deadPort }, password, profile });
  try {
    for (const f of [f1, f2]) {
      const c = await client(f.address.port);
      assert.equal(await c.ask('GETINFO version'), '551 Tor is not reachable\r\n');
      await c.closed;
    }
    assert.deepEqual(
      tor.received.filter((l) => !l.startsWith('AUTHENTICATE')),
      [],
      'nothing forwarded without authentication',
    );
  } finally {
    await f1.close();
    await f2.close();
    tor.stop();
  }
});

test(`a complete line over ${MAX_LINE} bytes closes the connection; tor never sees it`, async () => {
  const tor = await fakeTor();
  const profile = await loadProfile(profilePath);
  const filter = await startControlFilter({ listenHost: '127.0.0.1', listenPort: 0, torControl: { host: '127.0.0.1', port: tor.port }, password, profile });
  try {
    const c = await client(filter.address.port);
    assert.equal(await c.ask('GETINFO version'), ANSWERS['GETINFO version'], 'control: a short line is answered');
    const unanswered: string[] = [];
    c.ask(`SIGNAL ${'N'.repeat(MAX_LINE)}`).then(
      (r) => unanswered.push(r),
      () => undefined,
    );
    await c.closed;
    assert.deepEqual(unanswered, []);
    assert.deepEqual(
      tor.received.filter((l) => l.startsWith('SIGNAL')),
      [],
    );
  } finally {
    await filter.close();
    tor.stop();
  }
});

test(`pipelining is bounded: ${MAX_QUEUED} waiting commands are answered, one more closes the connection`, async () => {
  const tor = await fakeTor();
  const profile = await loadProfile(profilePath);
  const filter = await startControlFilter({ listenHost: '127.0.0.1', listenPort: 0, torControl: { host: '127.0.0.1', port: tor.port }, password, profile });
  try {
    const ok = await client(filter.address.port);
    const answers = await Promise.all(Array.from({ length: MAX_QUEUED }, () => ok.ask('GETINFO version')));
    assert.equal(answers.length, MAX_QUEUED);
    assert.ok(answers.every((a) => a === ANSWERS['GETINFO version']));
    ok.end();
    const before = tor.received.length;
    const flood = await client(filter.address.port);
    flood.raw('GETINFO version\r\n'.repeat(MAX_QUEUED + 1));
    await flood.closed;
    assert.ok(tor.received.length - before <= MAX_QUEUED + 1, `tor got ${tor.received.length - before} lines from the flood`);
    const many = await client(filter.address.port);
    many.raw('GETINFO version\r\n'.repeat(10_000));
    await many.closed;
    assert.ok(tor.received.length - before < 3 * (MAX_QUEUED + 2), 'a flood of 10000 lines is cut off, not forwarded');
  } finally {
    await filter.close();
    tor.stop();
  }
});

test('a reply from tor larger than the bound closes the workstation connection', async () => {
  const tor = await fakeTor((l) => (l === 'GETINFO version' ? `250-version=${'x'.repeat(2 * 1024 * 1024)}\r\n250 OK\r\n` : ANSWERS[l]));
  const profile = await loadProfile(profilePath);
  const filter = await startControlFilter({ listenHost: '127.0.0.1', listenPort: 0, torControl: { host: '127.0.0.1', port: tor.port }, password, profile });
  try {
    const c = await client(filter.address.port);
    const answer = await Promise.race([c.ask('GETINFO version'), c.closed.then(() => 'closed')]);
    assert.ok(answer === 'closed' || answer === '551 Tor is not reachable\r\n', `the oversized reply is not passed on: ${answer.slice(0, 80)}`);
    await c.closed;
  } finally {
    await filter.close();
    tor.stop();
  }
});
