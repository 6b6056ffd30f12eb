// The shape of one admin route in the contract: method, path, the zod schemas of its input and reply, and how it answers.
import { z } from 'zod';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * How a route answers: `json` one body; `ndjson` lines (progress, then a result or an error line);
 * `upgrade` a raw connection after HTTP 101 (exec), whose headers and frames the route's docs name.
 */
export type RouteKind = 'json' | 'ndjson' | 'upgrade';

export interface RouteDef {
  method: Method;
  /** fastify's form: `/qubes/:name`. */
  path: string;
  summary: string;
  kind: RouteKind;
  params?: z.AnyZodObject;
  query?: z.AnyZodObject;
  body?: z.ZodTypeAny;
  /** The JSON body (json), one line (ndjson), or nothing (upgrade: z.never()). */
  reply: z.ZodTypeAny;
  /** The success status, when not 200 (201 for creations). */
  status?: number;
}

/** Keeps the literal types of a route while checking its shape. */
export const route = <const R extends RouteDef>(r: R): R => r;

/** Every error answer of the API: a stable code, a message a user understands, and the input field at fault when one is. */
export const apiErrorBody = z.object({
  error: z.string().regex(/^ERR_[A-Z_]+$/),
  message: z.string(),
  field: z.string().optional(),
});
export type ApiErrorBody = z.infer<typeof apiErrorBody>;

/** A line of an NDJSON answer: progress, the result, or the error that ended it. */
export const ndjsonLine = <P extends z.ZodTypeAny, R extends z.ZodTypeAny>(progress: P, result: R) =>
  z.union([z.object({ progress }), z.object({ result }), z.object({ error: z.string(), message: z.string() })]);

/** The path's `:param` names, in order. */
export function pathParams(path: string): string[] {
  return [...path.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1]!);
}

/** The concrete path: each `:param` replaced by its value, percent-encoded. */
export function fillPath(path: string, params: Record<string, unknown> = {}): string {
  return path.replace(/:([A-Za-z_]+)/g, (_, k: string) => {
    const v = params[k];
    if (v === undefined || v === null) throw new TypeError(`${path}: parameter '${k}' is missing`);
    return encodeURIComponent(String(v));
  });
}
