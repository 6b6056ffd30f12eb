// The one client of tor's control protocol (the lab, the admin side and the control filter): cookie or password authentication, GETINFO, SETCONF, SIGNAL and events.
import { connect, type Socket } from 'node:net';
import { readFile } from 'node:fs/promises';
import { BulkheadError } from '../errors/index.js';
import { authenticateLine } from '../gateway/index.js';
import { parseGetinfo, ReplyParser, type ControlReply } from './reply.js';

export type ControlTarget = { path: string } | { host: string; port: number };

export interface ControlOptions {
  target: ControlTarget;
  /** Path of tor's control_auth_cookie; omitted = AUTHENTICATE without a secret (no auth configured). */
  cookieFile?: string;
  /** A control password (HashedControlPassword); sent quoted, never read from a file. Takes precedence over cookieFile. */
  password?: string;
  /** Longest reply accepted (characters); a longer one closes the connection. Default: no bound (the lab's own tor). */
  maxReply?: number;
  timeoutMs?: number;
}

type Pending = { resolve: (r: ControlReply) => void; reject: (e: Error) => void };
type EventListener = (reply: ControlReply) => void;

export class TorControl {
  private readonly pending: Pending[] = [];
  private readonly listeners = new Set<EventListener>();
  private readonly parser: ReplyParser;
  private closedError: Error | null = null;
  /** Settles once the connection is gone, whoever ended it. */
  readonly closed: Promise<void>;

  private constructor(
    private readonly socket: Socket,
    private readonly timeoutMs: number,
    maxReply = Infinity,
  ) {
    this.parser = new ReplyParser(maxReply);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const reply of this.parser.push(chunk.toString('latin1'))) this.dispatch(reply);
      } catch (e) {
        this.fail(e as Error);
        socket.destroy();
      }
    });
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new BulkheadError('ERR_NETWORK', 'tor control connection closed')));
  }

  /** Connect and authenticate (cookie read from the file, sent as hex). */
  static async open(opts: ControlOptions): Promise<TorControl> {
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = 'path' in opts.target ? connect(opts.target.path) : connect(opts.target.port, opts.target.host);
      const timer = setTimeout(() => {
        s.destroy();
        reject(new BulkheadError('ERR_TIMEOUT', 'tor control connect timed out'));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(new BulkheadError('ERR_NETWORK', `tor control connect: ${e.message}`, { cause: e }));
      });
    });
    const ctl = new TorControl(socket, timeoutMs, opts.maxReply);
    try {
      let line: string;
      let what: string;
      if (opts.password !== undefined) {
        line = authenticateLine(opts.password);
        what = 'control password';
      } else {
        const secret = opts.cookieFile ? (await readFile(opts.cookieFile)).toString('hex') : '';
        line = secret ? `AUTHENTICATE ${secret}` : 'AUTHENTICATE';
        what = 'control cookie';
      }
      const answer = await ctl.raw(line);
      if (answer.status !== 250) {
        const text = answer.lines
          .map((l) => l.text)
          .join(' | ')
          .slice(0, 200);
        throw new BulkheadError('ERR_PERMISSION', `tor refused the ${what}: ${answer.status} ${text}`);
      }
    } catch (e) {
      ctl.close();
      throw e;
    }
    return ctl;
  }

  /** Send one command line; resolves with the reply, rejects on a non-2xx status. */
  async command(line: string): Promise<ControlReply> {
    const reply = await this.raw(line);
    if (reply.status < 200 || reply.status > 299) {
      const cmd = line.split(' ')[0] ?? line;
      throw new BulkheadError('ERR_NETWORK', `tor control ${cmd}: ${reply.status} ${reply.lines.map((l) => l.text).join(' | ')}`);
    }
    return reply;
  }

  /** Send one command line and resolve with whatever reply comes, including errors. */
  raw(line: string): Promise<ControlReply> {
    if (this.closedError) return Promise.reject(this.closedError);
    if (/[\r\n]/.test(line)) return Promise.reject(new BulkheadError('ERR_BAD_REQUEST', 'control command contains a newline'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new BulkheadError('ERR_TIMEOUT', `tor control "${line.split(' ')[0]}" timed out`)), this.timeoutMs);
      this.pending.push({
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.socket.write(`${line}\r\n`);
    });
  }

  /** GETINFO for one or more keys; returns key → value (multi-line values joined by \n). */
  async getinfo(...keys: string[]): Promise<Map<string, string>> {
    return parseGetinfo(await this.command(`GETINFO ${keys.join(' ')}`));
  }

  async getinfoOne(key: string): Promise<string> {
    return (await this.getinfo(key)).get(key) ?? '';
  }

  async signal(name: string): Promise<void> {
    await this.command(`SIGNAL ${name}`);
  }

  async setconf(settings: Record<string, string>): Promise<void> {
    const parts = Object.entries(settings).map(([k, v]) => `${k}="${v.replace(/["\\]/g, '\\$&')}"`);
    await this.command(`SETCONF ${parts.join(' ')}`);
  }

  /** Subscribe to asynchronous events (650 replies); returns an unsubscribe function. */
  async onEvents(names: string[], listener: EventListener): Promise<() => void> {
    this.listeners.add(listener);
    await this.command(`SETEVENTS ${names.join(' ')}`);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.closedError ??= new BulkheadError('ERR_NETWORK', 'tor control connection closed');
    this.socket.destroy();
  }

  private dispatch(reply: ControlReply): void {
    if (reply.status === 650) {
      for (const l of this.listeners) l(reply);
      return;
    }
    this.pending.shift()?.resolve(reply);
  }

  private fail(e: Error): void {
    this.closedError ??= e;
    for (const p of this.pending.splice(0)) p.reject(e);
  }
}
