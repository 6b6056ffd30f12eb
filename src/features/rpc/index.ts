// Public surface of features/rpc: RPC between qubes (the broker, its sockets, policy and asks).
import type { QubeHooks } from '../../daemon/context.js';
import type { Feature, FeatureFactory, RouteModule } from '../../daemon/feature.js';
import { registerRpc } from './broker/index.js';

/** RPC between qubes: a broker socket pair per running qube, the agent and tools mounted in. */
export const rpc: FeatureFactory = async (ctx): Promise<Feature> => {
  const hooks: QubeHooks[] = [];
  const routes: RouteModule[] = [];
  await registerRpc(ctx, hooks, routes);
  return { name: 'rpc', hooks, routes };
};
