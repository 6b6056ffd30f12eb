// Optional features (network, gateway, RPC) register hooks and routes here; the core never imports them.
import type { RouteModule } from './api/server.js';
import type { DaemonContext, QubeHooks } from './context.js';
import { firewallRoutes, networkFeature } from '../netvm/index.js';
import { whonixFeature } from '../whonix/feature.js';
import { whonixRoutes } from '../whonix/routes.js';
import { registerRpc } from '../rpc/broker/index.js';

export async function loadFeatures(ctx: DaemonContext, hooks: QubeHooks[], routes: RouteModule[]): Promise<void> {
  const net = networkFeature();
  hooks.push(net.hooks);
  routes.push(firewallRoutes(net));
  // After the network feature: a gateway's and a workstation's namespace exist when its hooks run.
  hooks.push(whonixFeature().hooks);
  routes.push(whonixRoutes);
  // RPC between qubes: a broker socket pair per running qube, the agent and tools mounted in.
  await registerRpc(ctx, hooks, routes);
}
