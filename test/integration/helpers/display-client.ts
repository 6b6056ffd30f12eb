// A display client for tests and benches: GET /qubes/NAME/display/stream upgraded on the admin socket, messages decoded as they come.
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { Decoder, encode, type Message } from '../../../src/desktop/protocol/index.js';

export interface TestDisplayClient {
  messages: Message[];
  /** Pixel bytes received so far (PIXELS bodies only). */
  pixelBytes: number;
  send(m: Message): void;
  /** Raw bytes to the daemon (for malformed-input tests). */
  raw(b: Uint8Array): void;
  /** Waits until a message matches (among those from index `from` on: X reuses window ids); throws after timeoutMs. */
  waitFor(what: string, pred: (m: Message) => boolean, timeoutMs?: number, from?: number): Promise<Message>;
  closed: Promise<void>;
  close(): void;
}

/** Opens the display stream of `qube` on the daemon at `home`; rejects with the daemon's answer when it refuses. */
export function openDisplay(home: string, qube: string): Promise<TestDisplayClient> {
  return new Promise((resolve, reject) => {
    const s: Socket = connect(join(home, 'admin', 'admin.sock'));
    let head = Buffer.alloc(0);
    let upgraded = false;
    const dec = new Decoder('to-client');
    const waiters: { pred: (m: Message) => boolean; ok: (m: Message) => void }[] = [];
    let closedResolve!: () => void;
    const c: TestDisplayClient = {
      messages: [],
      pixelBytes: 0,
      send: (m) => void s.write(encode(m)),
      raw: (b) => void s.write(b),
      waitFor(what, pred, timeoutMs = 20_000, from = 0) {
        const found = c.messages.slice(from).find(pred);
        if (found) return Promise.resolve(found);
        return new Promise((ok, fail) => {
          const t = setTimeout(() => fail(new Error(`timed out waiting for ${what}; got ${c.messages.map((m) => m.kind).join(',')}`)), timeoutMs);
          waiters.push({
            pred,
            ok: (m) => {
              clearTimeout(t);
              ok(m);
            },
          });
        });
      },
      closed: new Promise((r) => (closedResolve = r)),
      close: () => s.destroy(),
    };
    const take = (b: Buffer): void => {
      for (const m of dec.push(new Uint8Array(b.buffer, b.byteOffset, b.byteLength))) {
        if (m.kind === 'pixels') {
          c.pixelBytes += m.data.length;
          // Keep only the rectangle, not the bytes: a bench receives gigabytes.
          c.messages.push({ ...m, data: m.data.length > 64 ? new Uint8Array(0) : m.data });
        } else c.messages.push(m);
        for (let i = waiters.length - 1; i >= 0; i--) {
          if (waiters[i]!.pred(m)) waiters.splice(i, 1)[0]!.ok(m);
        }
      }
    };
    s.on('connect', () => {
      s.write(`GET /qubes/${encodeURIComponent(qube)}/display/stream HTTP/1.1\r\nhost: bulkhead\r\nupgrade: bulkhead-display\r\nconnection: Upgrade\r\n\r\n`);
    });
    s.on('data', (d: Buffer) => {
      if (upgraded) return take(d);
      head = Buffer.concat([head, d]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const status = head.subarray(0, end).toString('utf8');
      if (!/^HTTP\/1\.1 101/.test(status)) {
        s.destroy();
        return reject(new Error(`display stream refused: ${head.toString('utf8')}`));
      }
      upgraded = true;
      resolve(c);
      const rest = head.subarray(end + 4);
      if (rest.length) take(rest);
    });
    s.on('error', reject);
    s.on('close', () => closedResolve());
  });
}

/** One admin API request on the daemon at `home`: its status and JSON body. */
export function adminRequest(home: string, method: string, path: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: join(home, 'admin', 'admin.sock'), method, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as unknown) : null });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** The admin event stream of the daemon at `home`, collected until stop(). */
export function adminEvents(home: string): { events: { event: string; data: Record<string, unknown> }[]; stop(): void } {
  const events: { event: string; data: Record<string, unknown> }[] = [];
  let rest = '';
  const req = request({ socketPath: join(home, 'admin', 'admin.sock'), method: 'GET', path: '/events' }, (res) => {
    res.on('data', (c: Buffer) => {
      rest += c.toString('utf8');
      const lines = rest.split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) events.push(JSON.parse(l) as { event: string; data: Record<string, unknown> });
    });
    res.on('error', () => undefined);
  });
  req.on('error', () => undefined);
  req.end();
  return { events, stop: () => req.destroy() };
}
