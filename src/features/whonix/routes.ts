// Admin API of the gateway feature: GET /qubes/:name/check runs the workstation check (Whonix's systemcheck); GET /gateways/tor.
import type { FastifyInstance } from 'fastify';
import { nameParam } from '../../contract/common.js';
import type { DaemonContext } from '../../daemon/context.js';
import { checkWorkstation } from './check.js';
import { torStates } from './tor-watch.js';
import { newIdentity, torInfo } from './tor-info.js';

export function whonixRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  app.get('/qubes/:name/check', async (req) => {
    const { name } = nameParam.parse(req.params);
    const report = await checkWorkstation(ctx, name);
    ctx.store.audit('admin', 'whonix-check', name, { ok: report.ok, failed: report.checks.filter((c) => !c.ok).map((c) => c.id) });
    return report;
  });
  /** tor's state in every running gateway (for `ls` and the dashboard). */
  app.get('/gateways/tor', async () => ({ gateways: torStates(ctx) }));
  /** Bootstrap phase and built circuits of one running gateway (the dashboard). */
  app.get('/gateways/:name/tor-info', async (req) => torInfo(ctx, nameParam.parse(req.params).name));
  /** New Identity (SIGNAL NEWNYM) from a workstation, through its gateway's control-port filter. */
  app.post('/qubes/:name/newnym', async (req) => newIdentity(ctx, nameParam.parse(req.params).name));
}
