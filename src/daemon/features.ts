// Optional features (network, gateway, RPC) register hooks and routes here; the core never imports them.
import type { RouteModule } from './api/server.js';
import type { DaemonContext, QubeHooks } from './context.js';

export async function loadFeatures(_ctx: DaemonContext, _hooks: QubeHooks[], _routes: RouteModule[]): Promise<void> {
  // Features are added as they land: each pushes its hooks and route modules.
}
