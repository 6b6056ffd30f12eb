// Optional features (network, gateway, RPC) register hooks and routes here; the core never imports them.
import type { RouteModule } from './api/server.js';
import type { DaemonContext, QubeHooks } from './context.js';
import { firewallRoutes, networkFeature } from '../netvm/index.js';

export async function loadFeatures(_ctx: DaemonContext, hooks: QubeHooks[], routes: RouteModule[]): Promise<void> {
  const net = networkFeature();
  hooks.push(net.hooks);
  routes.push(firewallRoutes(net));
}
