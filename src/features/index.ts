// Optional features (network, gateway, RPC) register hooks and routes here; the core never imports them.
import type { RouteModule } from '../api/server.js';
import type { DaemonContext, QubeHooks } from '../daemon/context.js';
import { firewallRoutes, networkFeature } from './network/index.js';
import { gatewayProfileVeto, whonixFeature } from './whonix/feature.js';
import { whonixRoutes } from './whonix/routes.js';
import { gatewayRoutes } from '../api/routes-gateways.js';
import { registerRpc } from './rpc/broker/index.js';

export async function loadFeatures(ctx: DaemonContext, hooks: QubeHooks[], routes: RouteModule[]): Promise<void> {
  const net = networkFeature();
  // Before anything is made for a qube: a gateway of a network profile this build never starts is refused.
  hooks.push(gatewayProfileVeto());
  hooks.push(net.hooks);
  routes.push(firewallRoutes(net));
  // After the network feature: a gateway's and a workstation's namespace exist when its hooks run.
  hooks.push(whonixFeature().hooks);
  routes.push(whonixRoutes, gatewayRoutes);
  // RPC between qubes: a broker socket pair per running qube, the agent and tools mounted in.
  await registerRpc(ctx, hooks, routes);
}
