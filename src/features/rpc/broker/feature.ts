// Registers the RPC broker with the daemon: sockets and mounts at qube start, cleanup at stop, routes.
import type { RouteModule } from '../../../daemon/feature.js';
import type { DaemonContext, QubeHooks } from '../../../daemon/context.js';
import { Broker } from './broker.js';
import { rpcRoutes } from './routes.js';

export async function registerRpc(ctx: DaemonContext, hooks: QubeHooks[], routes: RouteModule[]): Promise<Broker> {
  const broker = new Broker(ctx);
  broker.start();
  hooks.push({
    preStart: async (c, name) => ({ mounts: await broker.openQube(name) }),
    postStop: async (_c, name) => broker.closeQube(name),
    daemonStart: async (c) => {
      // Qubes still running from before a daemon restart keep their mounted socket directory: listen there again.
      for (const [name, state] of c.store.allPower()) {
        if ((state === 'running' || state === 'paused') && c.store.getQube(name)?.klass !== 'admin') {
          await broker.openQube(name).catch((e: unknown) => c.log.warn({ err: e, qube: name }, 'rpc sockets not restored'));
        }
      }
    },
    daemonStop: async () => broker.stop(),
  });
  routes.push(rpcRoutes(broker));
  return broker;
}
