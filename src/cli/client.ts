// The admin API client: HTTP over the daemon's Unix socket. Verbs talk only to this.
import http from 'node:http';
import { resolvePaths } from '../daemon/paths.js';

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** One request over the admin socket: the status and the parsed body, errors or not. */
export function rawRequest<T = unknown>(socketPath: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request({
      socketPath, method, path,
      headers: data ? { 'content-type': 'application/json', 'content-length': data.length } : {},
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try { parsed = text ? JSON.parse(text) : {}; } catch { /* plain text */ }
        resolve({ status: res.statusCode ?? 500, body: parsed as T });
      });
    });
    req.on('error', reject);
    if (data) req.end(data); else req.end();
  });
}

export interface ApiClient {
  socket: string;
  request<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
}

export function apiClient(socket = resolvePaths().socket): ApiClient {
  return {
    socket,
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      let r;
      try {
        r = await rawRequest<unknown>(socket, method, path, body);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ECONNREFUSED') {
          throw new ApiError(503, 'ERR_NO_DAEMON', `bulkheadd is not running (no socket at ${socket}); start it with 'bulkhead daemon start'`);
        }
        throw e;
      }
      if (r.status >= 400) {
        const p = r.body as { error?: string; message?: string };
        throw new ApiError(r.status, p?.error ?? 'ERR_INTERNAL', p?.message ?? String(r.body));
      }
      return r.body as T;
    },
  };
}

/**
 * A request whose answer is newline-delimited JSON (long operations: template build, backups):
 * each line goes to `onLine` as it arrives; an HTTP error status rejects with its message.
 */
export function streamNdjson(path: string, body: unknown, onLine: (o: Record<string, unknown>) => void, socketPath = resolvePaths().socket): Promise<void> {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(JSON.stringify(body));
    const req = http.request({ socketPath, method: 'POST', path, headers: { 'content-type': 'application/json', 'content-length': data.length } }, (res) => {
      let buf = '';
      res.on('data', (c: Buffer) => {
        buf += c.toString();
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (line.trim()) onLine(JSON.parse(line) as Record<string, unknown>);
        }
      });
      res.on('end', () => {
        if ((res.statusCode ?? 500) >= 400) {
          try { reject(new Error((JSON.parse(buf) as { message: string }).message)); } catch { reject(new Error(buf)); }
        } else resolve();
      });
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED') reject(new ApiError(503, 'ERR_NO_DAEMON', `bulkheadd is not running (no socket at ${socketPath}); start it with 'bulkhead daemon start'`));
      else reject(e);
    });
    req.end(data);
  });
}
