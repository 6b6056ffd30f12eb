// The admin API client, the CLI's only way to the daemon: HTTP over its Unix socket (requests, NDJSON streams, exec upgrades).
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { resolvePaths } from '../daemon/paths.js';
import { ApiError, createClient, errorOf as errorOfBody, routes, type Client, type Routes, type Transport } from '../contract/index.js';

export { ApiError };

/** One request over the admin socket: the status and the parsed body, errors or not. */
export function rawRequest<T = unknown>(socketPath: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(
      {
        socketPath,
        method,
        path,
        headers: data ? { 'content-type': 'application/json', 'content-length': data.length } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : {};
          } catch {
            /* plain text */
          }
          resolve({ status: res.statusCode ?? 500, body: parsed as T });
        });
      },
    );
    req.on('error', reject);
    if (data) req.end(data);
    else req.end();
  });
}

export interface ApiClient extends Client<Routes> {
  socket: string;
  /** POST whose answer is NDJSON (progress lines, then a result): each object as it arrives. */
  stream(path: string, body: unknown, onLine: (o: Record<string, unknown>) => void): Promise<void>;
  /** POST upgraded to a raw connection (exec): the socket and the answer's headers. */
  upgrade(path: string, headers: Record<string, string>): Promise<{ socket: Duplex; headers: http.IncomingHttpHeaders }>;
}

/** The daemon's error body ({error, message, field}) or its text, as an ApiError. */
function errorOf(status: number, text: string): ApiError {
  try {
    return errorOfBody(status, JSON.parse(text));
  } catch {
    return new ApiError(status, 'ERR_INTERNAL', text);
  }
}

export function apiClient(socket = resolvePaths().socket): ApiClient {
  const reachable = (e: unknown): Error => {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ECONNREFUSED') {
      return new ApiError(503, 'ERR_NO_DAEMON', `bulkheadd is not running (no socket at ${socket}); start it with 'bulkhead daemon start'`);
    }
    return e as Error;
  };
  // JSON routes go through the contract's client over the socket.
  const transport: Transport = async (req) => {
    try {
      return await rawRequest<unknown>(socket, req.method, req.path, req.body);
    } catch (e) {
      throw reachable(e);
    }
  };
  return {
    socket,
    ...createClient(routes, transport),
    stream(path, body, onLine) {
      return new Promise((resolve, reject) => {
        const data = Buffer.from(JSON.stringify(body));
        const req = http.request(
          { socketPath: socket, method: 'POST', path, headers: { 'content-type': 'application/json', 'content-length': data.length } },
          (res) => {
            let buf = '';
            res.on('data', (c: Buffer) => {
              buf += c.toString();
              for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
                const line = buf.slice(0, i);
                buf = buf.slice(i + 1);
                if (line.trim()) onLine(JSON.parse(line) as Record<string, unknown>);
              }
            });
            res.on('end', () => ((res.statusCode ?? 500) >= 400 ? reject(errorOf(res.statusCode ?? 500, buf)) : resolve()));
          },
        );
        req.on('error', (e) => reject(reachable(e)));
        req.end(data);
      });
    },
    upgrade(path, headers) {
      return new Promise((resolve, reject) => {
        const req = http.request({ socketPath: socket, method: 'POST', path, headers: { ...headers, connection: 'Upgrade' } });
        req.on('upgrade', (res, sock, head) => {
          if (head.length) sock.unshift(head);
          resolve({ socket: sock, headers: res.headers });
        });
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => reject(errorOf(res.statusCode ?? 500, Buffer.concat(chunks).toString())));
        });
        req.on('error', (e) => reject(reachable(e)));
        req.end();
      });
    },
  };
}
