// Admin API: the lab world (up, down, status); it carries the daemon's prefix so sealing checks see it all.
import type { FastifyInstance } from 'fastify';
import { labCommand } from '../../cli/verbs/lab.js';
import type { DaemonContext } from '../context.js';

export function labRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  for (const action of ['up', 'down', 'status'] as const) {
    const handler = async (req: { query: unknown }) => {
      const json = (req.query as { json?: string }).json === 'true';
      const r = await labCommand(action, { json, home: ctx.paths.home, prefix: ctx.prefix });
      if (action !== 'status') ctx.store.audit('admin', `lab-${action}`, null, {});
      return r;
    };
    if (action === 'status') app.get('/lab/status', handler);
    else app.post(`/lab/${action}`, handler);
  }
}
