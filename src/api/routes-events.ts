// Admin API: the event stream (newline-delimited JSON) and the audit log with its chain check.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { readAudit, verifyAudit } from '../state/index.js';
import type { DaemonContext } from '../daemon/context.js';

export function eventRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  app.get('/events', async (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    res.write(`${JSON.stringify({ event: 'connected', time: new Date().toISOString(), data: {} })}\n`);
    const off = ctx.events.onAny((e) => res.write(`${JSON.stringify(e)}\n`));
    req.raw.on('close', off);
  });
  app.get('/audit', async (req) => {
    const q = z
      .object({ qube: z.string().optional(), since: z.coerce.number().int().min(0).optional(), limit: z.coerce.number().int().min(1).max(100000).optional() })
      .strict()
      .parse(req.query);
    return { entries: readAudit(ctx.store.db, q) };
  });
  app.get('/audit/verify', async () => verifyAudit(ctx.store.db));
}
