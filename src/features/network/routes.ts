// Admin API of the network feature: a qube's firewall (list, add, del, reset).
import type { FastifyInstance } from 'fastify';
import { firewallAddBody as addBody, firewallDelBody as delBody, firewallParams as nameParam } from '../../contract/network.js';
import type { DaemonContext } from '../../daemon/context.js';
import type { NetworkFeature } from './feature.js';
import { editFirewall } from './firewall-service.js';
import { storedRules } from './links.js';
import { formatRule } from '../../firewall/index.js';

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
