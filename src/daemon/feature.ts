// The one shape of a feature (network, gateway, RPC, ...): lifecycle hooks and admin routes, loaded by the daemon from a list.
import type { FastifyInstance } from 'fastify';
import type { DaemonContext, QubeHooks } from './context.js';

/** Admin routes a feature adds to the API server. */
export type RouteModule = (app: FastifyInstance, ctx: DaemonContext) => void;

export interface Feature {
  name: string;
  /** Hooks that run before every feature's own hooks: a refusal here comes before anything is made for a qube. */
  vetoes?: QubeHooks[];
  hooks: QubeHooks[];
  routes: RouteModule[];
}

export type FeatureFactory = (ctx: DaemonContext) => Feature | Promise<Feature>;

/** The `:name` parameter of every route about one qube (in the API contract). */
export { nameParam } from '../contract/common.js';

/** Makes the features in list order: every veto first, then each feature's hooks and routes in the list's order. */
export async function loadFeatures(ctx: DaemonContext, list: readonly FeatureFactory[], hooks: QubeHooks[], routes: RouteModule[]): Promise<Feature[]> {
  const made: Feature[] = [];
  for (const make of list) made.push(await make(ctx));
  for (const f of made) hooks.push(...(f.vetoes ?? []));
  for (const f of made) {
    hooks.push(...f.hooks);
    routes.push(...f.routes);
  }
  return made;
}

/** A decorator of the dashboard's fastify: a route module that hooks the raw server (an upgrade on the admin socket) skips that listener. */
export const DASHBOARD_LISTENER = 'bulkheadDashboardListener';
