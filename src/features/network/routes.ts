// Admin API of the network feature: a qube's firewall (list, add, del, reset).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { DaemonContext } from '../../daemon/context.js';
import type { NetworkFeature } from './feature.js';
import { editFirewall } from './firewall-service.js';
import { storedRules } from './links.js';
import { formatRule } from '../../firewall/index.js';

const nameParam = z.object({ name: z.string() }).strict();
const addBody = z.object({ rule: z.string(), before: z.number().int().min(0).optional() }).strict();
const delBody = z.object({ index: z.number().int().min(0).optional(), rule: z.string().optional() }).strict();

export function firewallRoutes(feature: NetworkFeature) {
  return (app: FastifyInstance, ctx: DaemonContext): void => {
    const after = () => feature.timer.schedule();
    app.get('/qubes/:name/firewall', async (req) => {
      const { name } = nameParam.parse(req.params);
      ctx.store.requireQube(name);
      return { rules: storedRules(ctx, name).map(formatRule), attached: feature.attachments.get(name) ?? null };
    });
    app.post('/qubes/:name/firewall', async (req) => {
      const { name } = nameParam.parse(req.params);
      const b = addBody.parse(req.body);
      const r = await editFirewall(ctx, feature.attachments, name, { op: 'add', rule: b.rule, before: b.before });
      after();
      return r;
    });
    app.post('/qubes/:name/firewall/del', async (req) => {
      const { name } = nameParam.parse(req.params);
      const b = delBody.parse(req.body);
      const r = await editFirewall(ctx, feature.attachments, name, { op: 'del', index: b.index, rule: b.rule });
      after();
      return r;
    });
    app.post('/qubes/:name/firewall/reset', async (req) => {
      const { name } = nameParam.parse(req.params);
      const r = await editFirewall(ctx, feature.attachments, name, { op: 'reset' });
      after();
      return r;
    });
  };
}
