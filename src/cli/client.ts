// The admin API client, the CLI's only way to the daemon: HTTP over its Unix socket (requests, NDJSON streams, exec upgrades).
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { resolvePaths } from '../daemon/paths.js';
import {
  ApiError,
  createClient,
  errorOf as errorOfBody,
  requestPath,
  routes,
  type CallInput,
  type CallReply,
  type Client,
  type Routes,
  type Transport,
} from '../contract/index.js';

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

/** The contract's routes that answer with NDJSON lines. */
export type NdjsonRoute = { [N in keyof Routes]: Routes[N]['kind'] extends 'ndjson' ? N : never }[keyof Routes];

export interface ApiClient extends Client<Routes> {
  socket: string;
  /** A route whose answer is NDJSON (progress lines, then a result): each line, typed by the contract, as it arrives. */
  stream<N extends NdjsonRoute>(name: N, input: CallInput<Routes[N]>, onLine: (line: CallReply<Routes[N]>) => void): Promise<void>;
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
    stream(name, input, onLine) {
      const r = routes[name];
      const { body } = input as { body?: unknown };
      return new Promise((resolve, reject) => {
        const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
        const headers = data ? { 'content-type': 'application/json', 'content-length': data.length } : {};
        const req = http.request(
          { socketPath: socket, method: r.method, path: requestPath(r, input as { params?: unknown; query?: unknown }), headers },
          (res) => {
            let buf = '';
            res.on('data', (c: Buffer) => {
              buf += c.toString();
              for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
                const line = buf.slice(0, i);
                buf = buf.slice(i + 1);
                if (line.trim()) onLine(JSON.parse(line) as never);
              }
            });
            res.on('end', () => ((res.statusCode ?? 500) >= 400 ? reject(errorOf(res.statusCode ?? 500, buf)) : resolve()));
          },
        );
        req.on('error', (e) => reject(reachable(e)));
        if (data) req.end(data);
        else req.end();
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
