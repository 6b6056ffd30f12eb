// The admin API client: HTTP over the daemon's Unix socket. Verbs talk only to this.
import http from 'node:http';
import { resolvePaths } from '../daemon/paths.js';

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export interface ApiClient {
  socket: string;
  request<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
}

export function apiClient(socket = resolvePaths().socket): ApiClient {
  return {
    socket,
    request<T>(method: string, path: string, body?: unknown): Promise<T> {
      return new Promise((resolve, reject) => {
        const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
        const req = http.request({
          socketPath: socket, method, path,
          headers: data ? { 'content-type': 'application/json', 'content-length': data.length } : {},
        }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try { parsed = text ? JSON.parse(text) : {}; } catch { /* plain text */ }
            if ((res.statusCode ?? 500) >= 400) {
              const p = parsed as { error?: string; message?: string };
              reject(new ApiError(res.statusCode ?? 500, p.error ?? 'ERR_INTERNAL', p.message ?? text));
            } else resolve(parsed as T);
          });
        });
        req.on('error', (e: NodeJS.ErrnoException) => {
          if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED') {
            reject(new ApiError(503, 'ERR_NO_DAEMON', `bulkheadd is not running (no socket at ${socket}); start it with 'bulkhead daemon start'`));
          } else reject(e);
        });
        if (data) req.end(data); else req.end();
      });
    },
  };
}
