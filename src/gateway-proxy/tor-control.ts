// One authenticated connection to tor's own control port (TCP on loopback or a unix socket), one command at a time.
import { connect, type Socket } from 'node:net';
import { readFile } from 'node:fs/promises';
import { BulkheadError } from '../errors/index.js';
import type { TorControl } from '../gateway/index.js';
import { ReplyReader } from './reply-reader.js';

export interface TorConnection {
  /** Send one command line; resolves with tor's complete reply (CRLF endings). */
  command(line: string): Promise<string>;
  close(): void;
  readonly closed: Promise<void>;
}

/** Connect and authenticate with the cookie; rejects with ERR_NETWORK when tor cannot be reached or refuses. */
export async function connectTor(target: TorControl, cookiePath: string, timeoutMs = 5000): Promise<TorConnection> {
  const cookie = await readFile(cookiePath);
  const sock: Socket = 'socketPath' in target ? connect(target.socketPath) : connect(target.port, target.host);
  sock.setEncoding('utf8');
  const waiting: { resolve: (r: string) => void; reject: (e: Error) => void }[] = [];
  const reader = new ReplyReader((reply) => waiting.shift()?.resolve(reply));
  let ended = false;
  const closed = new Promise<void>((resolve) => {
    sock.on('close', () => {
      ended = true;
      for (const w of waiting.splice(0)) w.reject(new BulkheadError('ERR_NETWORK', 'tor closed the control connection'));
      resolve();
    });
  });
  sock.on('data', (d: string) => reader.feed(d));
  sock.on('error', () => sock.destroy());
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => {
      sock.destroy();
      reject(new BulkheadError('ERR_TIMEOUT', 'timed out connecting to tor control port'));
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(t);
      resolve();
    });
    sock.once('error', (e) => {
      clearTimeout(t);
      reject(new BulkheadError('ERR_NETWORK', `cannot reach tor control port: ${e.message}`, { cause: e }));
    });
  });
  const command = (line: string) =>
    new Promise<string>((resolve, reject) => {
      if (ended) return reject(new BulkheadError('ERR_NETWORK', 'tor control connection is closed'));
      waiting.push({ resolve, reject });
      sock.write(line + '\r\n');
    });
  const auth = await command(`AUTHENTICATE ${cookie.toString('hex')}`);
  if (!auth.startsWith('250 ')) {
    sock.destroy();
    throw new BulkheadError('ERR_PERMISSION', `tor refused the control cookie: ${auth.trim()}`);
  }
  return { command, close: () => sock.destroy(), closed };
}
