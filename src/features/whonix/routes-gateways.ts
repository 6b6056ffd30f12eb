// Admin API of gateways: each gateway's network profile, tor state and bridges (GET /gateways; GET|PUT|DELETE /gateways/:name/bridges).
import type { FastifyInstance } from 'fastify';
import { bridgesBody } from '../../contract/whonix.js';
import { nameParam } from '../../contract/common.js';
import type { DaemonContext } from '../../daemon/context.js';
import { isGateway } from '../../model/index.js';
import { gatewayNetwork } from './profile.js';
import { torState } from './tor-watch.js';
import { BRIDGES_FEATURE, clearBridges, requireGateway, setBridges, storedBridges } from './bridges.js';
import { refreshGateway } from './feature.js';

export function gatewayRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  const view = (name: string) => {
    const gw = requireGateway(ctx, name);
    const sys = ctx.store.system();
    return { gateway: name, network: gatewayNetwork(sys, gw), bridges: safeBridges(gw) };
  };
  /** Stored lines even when someone wrote a bad value through `features` (shown, and refused at start). */
  const safeBridges = (gw: Parameters<typeof storedBridges>[0]) => {
    try {
      return storedBridges(gw).map((b) => b.line);
    } catch {
      return (gw.features[BRIDGES_FEATURE] ?? '').split('\n');
    }
  };

  /** Every gateway: its network profile, how many bridges, and tor's state when it runs (ls, dashboard). */
  app.get('/gateways', async () => {
    const sys = ctx.store.system();
    const gateways = [...sys.qubes.values()]
      .filter((q) => isGateway(q))
      .map((q) => ({
        name: q.name,
        network: gatewayNetwork(sys, q),
        bridges: safeBridges(q).length,
        tor: torState(ctx, q.name),
      }));
    return { gateways };
  });
  app.get('/gateways/:name/bridges', async (req) => view(nameParam.parse(req.params).name));
  app.put('/gateways/:name/bridges', async (req) => {
    const { name } = nameParam.parse(req.params);
    const body = bridgesBody.parse(req.body);
    setBridges(ctx, name, body.lines, body.source ?? 'line');
    // A running gateway re-reads its torrc now (its listeners do not move).
    await refreshGateway(ctx, name);
    return view(name);
  });
  app.delete('/gateways/:name/bridges', async (req) => {
    const { name } = nameParam.parse(req.params);
    clearBridges(ctx, name);
    await refreshGateway(ctx, name);
    return view(name);
  });
}
