// The display source on the admin API's Unix socket: GET /displays, the event stream, the display stream (an HTTP upgrade), the clipboard.
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { createClient, routes, type Transport } from '../contract/index.js';
import { BulkheadError } from '../errors/index.js';
import type { DisplayEvent, DisplaySource, Following } from './source.js';

/** The upgrade token of `GET /qubes/:name/display/stream`. */
export const DISPLAY_UPGRADE = 'bulkhead-display';
const MAX_REPLY = 1 << 20;
const MAX_EVENT_LINE = 1 << 16;

function failure(status: number, text: string): BulkheadError {
  try {
    const p = JSON.parse(text) as { error?: string; message?: string };
    return new BulkheadError('ERR_DISPLAY', `daemon answered ${status}: ${p.error ?? ''} ${p.message ?? text}`.trim());
  } catch {
    return new BulkheadError('ERR_DISPLAY', `daemon answered ${status}: ${text.slice(0, 200)}`);
  }
}

/** One JSON request on the admin socket: the status and the parsed body (the reply bounded to MAX_REPLY). */
function exchange(socketPath: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(
      { socketPath, method, path, headers: data ? { 'content-type': 'application/json', 'content-length': data.length } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_REPLY) req.destroy(new Error(`${path}: reply over ${MAX_REPLY} bytes`));
          else chunks.push(c);
        });
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : {};
          } catch {
            /* an error page in text */
          }
          resolve({ status: res.statusCode ?? 500, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

async function request(socketPath: string, method: string, path: string): Promise<unknown> {
  const r = await exchange(socketPath, method, path);
  if (r.status >= 400) throw failure(r.status, typeof r.body === 'string' ? r.body : JSON.stringify(r.body));
  return r.body;
}

/** Which qubes a `GET /displays` answer names (anything else in it is ignored). */
export function displayQubes(untrusted: unknown): string[] {
  const list = Array.isArray(untrusted) ? untrusted : ((untrusted as { displays?: unknown })?.displays ?? []);
  if (!Array.isArray(list)) return [];
  return list.map((d) => (d as { qube?: unknown })?.qube).filter((q): q is string => typeof q === 'string' && q.length > 0 && q.length <= 64);
}

/** One line of the event stream as a display event, or null for every other event. */
export function displayEventOf(line: string): DisplayEvent | null {
  let e: { event?: unknown; data?: { qube?: unknown }; qube?: unknown };
  try {
    e = JSON.parse(line) as typeof e;
  } catch {
    return null;
  }
  if (e.event !== 'display-started' && e.event !== 'display-stopped') return null;
  const qube = e.data?.qube ?? e.qube;
  return typeof qube === 'string' && qube.length > 0 && qube.length <= 64 ? { event: e.event, qube } : null;
}

export function apiDisplaySource(socketPath: string): DisplaySource {
  // The clipboard routes are the contract's (the same calls as `bulkhead clipboard`); /displays, the event stream and the upgrade are read here.
  const transport: Transport = (req) => exchange(socketPath, req.method, req.path, req.body);
  const client = createClient(routes, transport);
  return {
    async displays() {
      return displayQubes(await request(socketPath, 'GET', '/displays'));
    },
    follow(onEvent) {
      return new Promise<Following>((resolve, reject) => {
        const req = http.request({ socketPath, method: 'GET', path: '/events' }, (res) => {
          if ((res.statusCode ?? 500) >= 400) return reject(failure(res.statusCode ?? 500, ''));
          let buf = '';
          const closed = new Promise<void>((done) => {
            res.on('close', done);
            res.on('error', () => done());
          });
          res.on('data', (c: Buffer) => {
            buf += c.toString('utf8');
            for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
              const e = displayEventOf(buf.slice(0, i));
              buf = buf.slice(i + 1);
              if (e) onEvent(e);
            }
            if (buf.length > MAX_EVENT_LINE) req.destroy();
          });
          resolve({ closed, stop: () => req.destroy() });
        });
        req.on('error', reject);
        req.end();
      });
    },
    open(qube) {
      return new Promise((resolve, reject) => {
        const req = http.request({
          socketPath,
          method: 'GET',
          path: `/qubes/${encodeURIComponent(qube)}/display/stream`,
          headers: { connection: 'Upgrade', upgrade: DISPLAY_UPGRADE },
        });
        req.on('upgrade', (_res, sock, head) => {
          if (head.length) sock.unshift(head);
          resolve(sock);
        });
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => reject(failure(res.statusCode ?? 500, Buffer.concat(chunks).toString('utf8'))));
        });
        req.on('error', reject);
        req.end();
      });
    },
    async clipboard(action, qube) {
      await client.call(action === 'copy' ? 'clipboard.copy' : 'clipboard.paste', { body: { qube } });
    },
  };
}
