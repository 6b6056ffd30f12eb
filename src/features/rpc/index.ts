// Public surface of features/rpc: RPC between qubes (the broker, its sockets, policy and asks).
import type { DaemonContext, QubeHooks } from '../../daemon/context.js';
import type { Feature, FeatureFactory, RouteModule } from '../../daemon/feature.js';
import { registerRpc, type Broker } from './broker/index.js';

const brokers = new WeakMap<DaemonContext, Broker>();

/** The broker of a daemon's RPC feature (features listed after it use its agents and clipboard). */
export function brokerOf(ctx: DaemonContext): Broker | undefined {
  return brokers.get(ctx);
}

/** RPC between qubes: a broker socket pair per running qube, the agent and tools mounted in. */
export const rpc: FeatureFactory = async (ctx): Promise<Feature> => {
  const hooks: QubeHooks[] = [];
  const routes: RouteModule[] = [];
  brokers.set(ctx, await registerRpc(ctx, hooks, routes));
  return { name: 'rpc', hooks, routes };
};
