// The one typed client of the admin API: call(route, {params, query, body}) → the route's reply; the transport is injected (Unix socket, fetch).
import type { z } from 'zod';
import { apiErrorBody, fillPath, type Method, type RouteDef } from './route.js';

/** An error answer of the daemon, or no daemon: its HTTP status, stable code, message, and the field at fault. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface TransportRequest {
  method: Method;
  /** Path and query string. */
  path: string;
  body?: unknown;
}
/** Sends one request; answers with the status and the parsed JSON body (or the text when it is not JSON). */
export type Transport = (req: TransportRequest) => Promise<{ status: number; body: unknown }>;

type Part<R, K extends 'params' | 'query' | 'body'> =
  R extends Record<K, infer S extends z.ZodTypeAny>
    ? undefined extends z.input<S>
      ? { [P in K]?: z.input<S> }
      : { [P in K]: z.input<S> }
    : { [P in K]?: never };
/** What a call of route R takes: its path parameters, query and body, each typed by the contract. */
export type CallInput<R> = Part<R, 'params'> & Part<R, 'query'> & Part<R, 'body'>;
export type CallReply<R> = R extends { reply: infer S extends z.ZodTypeAny } ? z.output<S> : never;

/** The path with its parameters filled in and its query string (undefined values left out). */
export function requestPath(r: RouteDef, input: { params?: unknown; query?: unknown }): string {
  const path = fillPath(r.path, (input.params ?? {}) as Record<string, unknown>);
  const q = Object.entries((input.query ?? {}) as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return q.length ? `${path}?${new URLSearchParams(q.map(([k, v]) => [k, String(v)])).toString()}` : path;
}

/** The daemon's error body ({error, message, field}) or its text, as an ApiError. */
export function errorOf(status: number, body: unknown): ApiError {
  const p = apiErrorBody.safeParse(body);
  if (p.success) return new ApiError(status, p.data.error, p.data.message, p.data.field);
  const b = body as { error?: unknown; message?: unknown } | null;
  const code = typeof b?.error === 'string' ? b.error : 'ERR_INTERNAL';
  const message = typeof b?.message === 'string' ? b.message : typeof body === 'string' ? body : JSON.stringify(body);
  return new ApiError(status, code, message);
}

export interface Client<Rs extends Record<string, RouteDef>> {
  call<N extends keyof Rs & string>(name: N, ...input: {} extends CallInput<Rs[N]> ? [CallInput<Rs[N]>?] : [CallInput<Rs[N]>]): Promise<CallReply<Rs[N]>>;
}

/**
 * A client of `routes` over `transport`. Requests are not checked here: the daemon is the one
 * judge of input, and its error names the field. Only JSON routes are called this way; NDJSON
 * and upgrade routes keep transport functions of their own (their types come from the contract).
 */
export function createClient<Rs extends Record<string, RouteDef>>(routes: Rs, transport: Transport): Client<Rs> {
  return {
    async call(name, ...rest) {
      const r = routes[name];
      if (!r) throw new TypeError(`no route named '${name}' in the contract`);
      if (r.kind !== 'json') throw new TypeError(`${name}: a ${r.kind} route has its own transport function`);
      const input = (rest[0] ?? {}) as { params?: unknown; query?: unknown; body?: unknown };
      const res = await transport({ method: r.method, path: requestPath(r, input), body: input.body });
      if (res.status >= 400) throw errorOf(res.status, res.body);
      return res.body as never;
    },
  };
}

/**
 * The page's transport: same-origin fetch, JSON both ways; `headers` adds per-request headers
 * (the CSRF secret) so the contract knows nothing of how the page proves itself.
 */
export function fetchTransport(opts: { base?: string; headers?: () => Record<string, string>; fetch?: typeof fetch } = {}): Transport {
  const f = opts.fetch ?? fetch;
  return async (req) => {
    const headers: Record<string, string> = { ...(opts.headers?.() ?? {}) };
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    const res = await f(`${opts.base ?? ''}${req.path}`, {
      method: req.method,
      headers,
      body: req.body === undefined ? undefined : JSON.stringify(req.body),
      credentials: 'same-origin',
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      /* plain text */
    }
    return { status: res.status, body };
  };
}
