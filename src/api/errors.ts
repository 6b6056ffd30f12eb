// Maps errors to HTTP answers (the contract's error shape): BulkheadError by its code, zod errors as 400 naming the field.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';
import { isBulkheadError } from '../errors/index.js';
import type { ApiErrorBody } from '../contract/index.js';

export function errorBody(e: unknown): { status: number; body: ApiErrorBody } {
  if (isBulkheadError(e)) return { status: e.status, body: { error: e.code, message: e.message, ...(e.field === undefined ? {} : { field: e.field }) } };
  if (e instanceof ZodError) {
    const msg = e.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
    const field = e.issues[0]?.path.join('.');
    return { status: 400, body: { error: 'ERR_BAD_REQUEST', message: msg, ...(field ? { field } : {}) } };
  }
  const fe = e as FastifyError;
  if (fe && typeof fe.statusCode === 'number' && fe.statusCode < 500) {
    return { status: fe.statusCode, body: { error: 'ERR_BAD_REQUEST', message: fe.message } };
  }
  return { status: 500, body: { error: 'ERR_INTERNAL', message: e instanceof Error ? e.message : String(e) } };
}

export function errorHandler(e: unknown, req: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = errorBody(e);
  if (status >= 500) req.log.error({ err: e }, 'request failed');
  void reply.status(status).send(body);
}
