// The API contract, shared by the daemon, the CLI and the page: every admin route by name, its schemas, and the typed client.
import { qubeRoutes } from './qubes.js';
import { systemRoutes } from './system.js';
import { storageRoutes } from './storage.js';
import { labRoutes } from './lab.js';
import { rpcRoutes } from './rpc.js';
import { networkRoutes } from './network.js';
import { whonixRoutes } from './whonix.js';
import { backupRoutes } from './backup.js';
import { forensicsRoutes } from './forensics.js';
import { desktopRoutes } from './desktop.js';

export const routes = {
  ...systemRoutes,
  ...qubeRoutes,
  ...storageRoutes,
  ...labRoutes,
  ...rpcRoutes,
  ...networkRoutes,
  ...whonixRoutes,
  ...backupRoutes,
  ...forensicsRoutes,
  ...desktopRoutes,
} as const;
export type Routes = typeof routes;
export type RouteName = keyof Routes;

export * from './route.js';
export * from './common.js';
export * from './client.js';
export { eventLine, eventSchemas, type EventLine, type EventMap, type EventName } from './events.js';
