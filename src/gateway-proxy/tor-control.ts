// One authenticated connection to tor's own control port (TCP on loopback or a unix socket), one command at a time.
import { connect, type Socket } from 'node:net';
import { BulkheadError } from '../errors/index.js';
import { authenticateLine, type TorControl } from '../gateway/index.js';
import { ReplyReader } from './reply-reader.js';

/** Whatever listens on tor's control port is inside the gateway: a reply larger than this closes the connection. */
export const MAX_TOR_REPLY = 1024 * 1024;

export interface TorConnection {
  /** Send one command line; resolves with tor's complete reply (CRLF endings). */
  command(line: string): Promise<string>;
  close(): void;
  readonly closed: Promise<void>;
}

/**
 * Connect and authenticate with the admin's control password (never a file of the gateway); rejects
 * with ERR_NETWORK when tor cannot be reached, ERR_PERMISSION when it refuses.
 */
export async function connectTor(target: TorControl, password: string, timeoutMs = 5000): Promise<TorConnection> {
  const auth = authenticateLine(password);
  const sock: Socket = 'socketPath' in target ? connect(target.socketPath) : connect(target.port, target.host);
  sock.setEncoding('utf8');
  const waiting: { resolve: (r: string) => void; reject: (e: Error) => void }[] = [];
  const reader = new ReplyReader((reply) => waiting.shift()?.resolve(reply), MAX_TOR_REPLY);
  let ended = false;
  const closed = new Promise<void>((resolve) => {
    sock.on('close', () => {
      ended = true;
      for (const w of waiting.splice(0)) w.reject(new BulkheadError('ERR_NETWORK', 'tor closed the control connection'));
      resolve();
    });
  });
  sock.on('data', (d: string) => {
    if (!reader.feed(d)) sock.destroy();
  });
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
  const answer = await command(auth);
  if (!answer.startsWith('250 ')) {
    sock.destroy();
    throw new BulkheadError('ERR_PERMISSION', `tor refused the control password: ${answer.trim().slice(0, 200)}`);
  }
  return { command, close: () => sock.destroy(), closed };
}
