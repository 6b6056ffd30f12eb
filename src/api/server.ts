// The admin API server: fastify on a root-only Unix socket; the same routes serve the dashboard on the loopback.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DaemonContext } from '../daemon/context.js';
import { errorHandler } from './errors.js';
import { eventRoutes } from './routes-events.js';
import { initRoutes, qubeRoutes } from './routes-qubes.js';
import { templateRoutes } from './routes-templates.js';
import { labRoutes } from './routes-lab.js';
import { volumeRoutes } from './routes-volumes.js';
import { usageRoutes } from './routes-usage.js';
import { attachExec } from './exec-upgrade.js';
import { openapiDocument } from './openapi.js';
import { checkingReplies, holdToContract } from './contract-check.js';
import { DashboardService, dashboardAdminRoutes } from './dashboard/service.js';

import type { RouteModule } from '../daemon/feature.js';

export type { RouteModule };

const VERSION = '0.1.0';

const systemRoutes: RouteModule = (app, ctx) => {
  app.get('/version', async () => ({ name: 'bulkheadd', version: VERSION, prefix: ctx.prefix, runtime: ctx.runtime.kind, pid: process.pid }));
  app.get('/openapi.json', async () => openapiDocument(VERSION));
};

/** Every route of the admin API, the features' last: the socket and the dashboard register the same list. */
export function adminRouteModules(extra: RouteModule[]): RouteModule[] {
  return [systemRoutes, qubeRoutes, initRoutes, eventRoutes, templateRoutes, labRoutes, volumeRoutes, usageRoutes, ...extra];
}

export async function startApiServer(ctx: DaemonContext, extra: RouteModule[] = []): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: ctx.log as unknown as FastifyBaseLogger, bodyLimit: 1 << 20 }) as unknown as FastifyInstance;
  app.setErrorHandler(errorHandler);
  const contract = holdToContract(app, { replies: checkingReplies() });
  const modules = adminRouteModules(extra);
  for (const m of modules) m(app, ctx);
  attachExec(app.server, ctx);
  // The dashboard: its login links are minted here, on the admin socket only.
  const dashboard = new DashboardService(ctx, modules);
  dashboardAdminRoutes(dashboard)(app, ctx);
  app.addHook('onClose', async () => dashboard.close());
  contract.verify();
  // The socket's directory is root-only: the socket is the admin boundary.
  mkdirSync(dirname(ctx.paths.socket), { recursive: true, mode: 0o700 });
  chmodSync(dirname(ctx.paths.socket), 0o700);
  rmSync(ctx.paths.socket, { force: true });
  await app.listen({ path: ctx.paths.socket });
  chmodSync(ctx.paths.socket, 0o600);
  await dashboard.start();
  return app;
}
