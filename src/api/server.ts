// The admin API server: fastify on a root-only Unix socket.
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
import { attachExec } from './exec-upgrade.js';
import { openapiDocument } from './openapi.js';
import { checkingReplies, holdToContract } from './contract-check.js';

import type { RouteModule } from '../daemon/feature.js';

export type { RouteModule };

const VERSION = '0.1.0';

export async function startApiServer(ctx: DaemonContext, extra: RouteModule[] = []): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: ctx.log as unknown as FastifyBaseLogger, bodyLimit: 1 << 20 }) as unknown as FastifyInstance;
  app.setErrorHandler(errorHandler);
  const contract = holdToContract(app, { replies: checkingReplies() });
  app.get('/version', async () => ({ name: 'bulkheadd', version: VERSION, prefix: ctx.prefix, runtime: ctx.runtime.kind, pid: process.pid }));
  app.get('/openapi.json', async () => openapiDocument(VERSION));
  qubeRoutes(app, ctx);
  initRoutes(app, ctx);
  eventRoutes(app, ctx);
  templateRoutes(app, ctx);
  labRoutes(app, ctx);
  volumeRoutes(app, ctx);
  attachExec(app.server, ctx);
  for (const m of extra) m(app, ctx);
  contract.verify();
  // The socket's directory is root-only: the socket is the admin boundary.
  mkdirSync(dirname(ctx.paths.socket), { recursive: true, mode: 0o700 });
  chmodSync(dirname(ctx.paths.socket), 0o700);
  rmSync(ctx.paths.socket, { force: true });
  await app.listen({ path: ctx.paths.socket });
  chmodSync(ctx.paths.socket, 0o600);
  return app;
}
