// Tests of the control-port client against a scripted fake tor on a Unix socket.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { TorControl } from './client.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const PASSWORD = 'a1'.repeat(32);
const COOKIE = Buffer.from('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff', 'hex');

/** A fake tor: checks the cookie, answers GETINFO version/circuit-status, emits an event on SETEVENTS. */
async function fakeTor(): Promise<{ path: string; cookieFile: string; server: Server; seen: string[] }> {
  const dir = await mkdtemp(`${tmpdir()}/bhctl-`);
  dirs.push(dir);
  const cookieFile = `${dir}/cookie`;
  await writeFile(cookieFile, COOKIE);
  const seen: string[] = [];
  const server = createServer((s: Socket) => {
    s.on('error', () => s.destroy()); // a client that closes on an oversized reply resets the connection
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        seen.push(line);
        if (line.startsWith('AUTHENTICATE'))
          s.write(
            line === `AUTHENTICATE ${COOKIE.toString('hex')}` || line === `AUTHENTICATE "${PASSWORD}"`
              ? '250 OK\r\n'
              : '515 Authentication failed: Wrong length on authentication cookie.\r\n',
          );
        else if (line === 'GETINFO huge') s.write(`250-huge=${'h'.repeat(300_000)}\r\n250 OK\r\n`);
        else if (line === 'GETINFO version circuit-status') s.write('250-version=0.4.9.11\r\n250+circuit-status=\r\n1 BUILT $AA~a,$BB~b\r\n.\r\n250 OK\r\n');
        else if (line === 'SETEVENTS HS_DESC') s.write('250 OK\r\n650 HS_DESC UPLOADED abc UNKNOWN $X\r\n');
        else if (line === 'QUIT') s.end('250 closing connection\r\n');
        else if (line === 'HANG') s.destroy();
        else s.write('510 Unrecognized command\r\n');
      }
    });
  });
  const path = `${dir}/control.sock`;
  await new Promise<void>((r) => server.listen(path, r));
  return { path, cookieFile, server, seen };
}

test('authenticates with the cookie as hex, GETINFO with a data block, events', async () => {
  const f = await fakeTor();
  const ctl = await TorControl.open({ target: { path: f.path }, cookieFile: f.cookieFile });
  const info = await ctl.getinfo('version', 'circuit-status');
  assert.equal(info.get('version'), '0.4.9.11');
  assert.equal(info.get('circuit-status'), '1 BUILT $AA~a,$BB~b');
  const events: string[] = [];
  await ctl.onEvents(['HS_DESC'], (e) => events.push(e.lines[0]?.text ?? ''));
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(events, ['HS_DESC UPLOADED abc UNKNOWN $X']);
  await assert.rejects(ctl.command('SIGNAL FOO'), /510 Unrecognized command/);
  assert.equal((await ctl.raw('SIGNAL FOO')).status, 510);
  ctl.close();
  f.server.close();
});

test('a wrong cookie fails to open', async () => {
  const f = await fakeTor();
  const bad = `${f.cookieFile}.bad`;
  await writeFile(bad, Buffer.alloc(32));
  await assert.rejects(TorControl.open({ target: { path: f.path }, cookieFile: bad }), /515 Authentication failed/);
  f.server.close();
});

test('a command with a newline is refused before it is sent', async () => {
  const f = await fakeTor();
  const ctl = await TorControl.open({ target: { path: f.path }, cookieFile: f.cookieFile });
  await assert.rejects(ctl.command('GETINFO version\r\nSIGNAL HALT'), /newline/);
  assert.ok(!f.seen.some((l) => l.includes('HALT')));
  ctl.close();
  f.server.close();
});

test('pending commands fail when the connection drops', async () => {
  const f = await fakeTor();
  const ctl = await TorControl.open({ target: { path: f.path }, cookieFile: f.cookieFile });
  await assert.rejects(ctl.command('HANG'), /closed/);
  await assert.rejects(ctl.command('GETINFO version'), /closed/);
  f.server.close();
});

test('connecting to nothing is a clear error', async () => {
  await assert.rejects(TorControl.open({ target: { path: '/nonexistent/bulkhead.sock' }, timeoutMs: 1000 }), /tor control connect/);
});

test('password authentication (quoted, nothing read from a file) and a reply bound', async () => {
  const t = await fakeTor();
  try {
    const ctl = await TorControl.open({ target: { path: t.path }, password: PASSWORD, maxReply: 100_000 });
    assert.equal((await ctl.getinfo('version', 'circuit-status')).get('version'), '0.4.9.11');
    await assert.rejects(ctl.getinfo('huge'), /longer than 100000|closed/);
    ctl.close();
    assert.ok(t.seen.includes(`AUTHENTICATE "${PASSWORD}"`));
    await assert.rejects(TorControl.open({ target: { path: t.path }, password: 'b2'.repeat(32) }), /515/);
    await assert.rejects(TorControl.open({ target: { path: t.path }, password: 'not hex"\r\nSIGNAL HALT' }), /control password: must be/);
    assert.ok(!t.seen.some((l) => l.startsWith('SIGNAL')));
  } finally {
    t.server.close();
  }
});
