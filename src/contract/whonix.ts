// Contract of the Whonix feature's routes: gateways, their bridges and tor state, the workstation check.
import { z } from 'zod';
import { route } from './route.js';
import { count, nameParam } from './common.js';
import { MAX_BRIDGE_LINE, MAX_BRIDGES } from '../gateway/bridges.js';

export const torNetwork = z.enum(['lab', 'public']);
export const torState = z.object({
  state: z.enum(['starting', 'up', 'down']),
  /** ISO time of the last change. */
  since: z.string(),
  /** How many times tor came back after being down since the gateway started. */
  restarts: z.number().int(),
  /** The gateway's network profile (tor_network) as it was started. */
  network: torNetwork,
});
export type TorState = z.infer<typeof torState>;

/** Lines as the user gave them (a file's lines, comments included, so errors name the file's line numbers). */
export const bridgesBody = z
  .object({
    lines: z
      .array(z.string().max(MAX_BRIDGE_LINE))
      .min(1)
      .max(MAX_BRIDGES * 4),
    /** How a line is named in errors: `line` (of a file) or `argument`. */
    source: z.enum(['line', 'argument']).optional(),
  })
  .strict();
export const bridgesView = z.object({ gateway: z.string(), network: torNetwork, bridges: z.array(z.string()) });
export type BridgesView = z.infer<typeof bridgesView>;
export const gatewayView = z.object({ name: z.string(), network: torNetwork, bridges: z.number().int(), tor: torState.nullable() });
export type GatewayView = z.infer<typeof gatewayView>;

export const checkResult = z.object({
  id: z.string(),
  title: z.string(),
  /** Passed; false for a failed row and for a skipped one (a skipped row never counts as passed). */
  ok: z.boolean(),
  detail: z.string(),
  /** The row needs the lab (CHECK_ROWS). */
  lab: z.boolean().optional(),
  /** Why the row did not run (a lab row for a gateway outside the lab profile). */
  skipped: z.string().optional(),
});
export type CheckResult = z.infer<typeof checkResult>;
export const checkReport = z.object({
  workstation: z.string(),
  gateway: z.string(),
  /** The gateway's network profile (tor_network). */
  network: torNetwork,
  /** Every row that ran passed (skipped rows are listed, not counted). */
  ok: z.boolean(),
  checks: z.array(checkResult),
  /** Packets the lab saw during the whole check, by kind. */
  labSeen: z.record(z.string(), z.object({ tor: count, other: count })).nullable(),
  /** tor's state in the gateway as the admin watches it (up/down, restarts by its supervisor). */
  tor: torState.nullable(),
  ms: count,
});
export type CheckReport = z.infer<typeof checkReport>;

/** tor in a running gateway as the dashboard shows it. */
export const torInfo = z.object({ gateway: z.string(), progress: z.number().int().min(0).max(100), summary: z.string(), circuits: z.number().int().min(0) });
export type TorInfo = z.infer<typeof torInfo>;
/** New Identity from a workstation: the filter's and tor's answers to AUTHENTICATE, SIGNAL NEWNYM and QUIT. */
export const newnymResult = z.object({ workstation: z.string(), gateway: z.string(), ok: z.boolean(), reply: z.string() });
export type NewnymResult = z.infer<typeof newnymResult>;

export const whonixRoutes = {
  'gateways.list': route({
    method: 'GET',
    path: '/gateways',
    summary: 'Every gateway, its profile, bridges and tor state',
    kind: 'json',
    reply: z.object({ gateways: z.array(gatewayView) }),
  }),
  'gateways.tor': route({
    method: 'GET',
    path: '/gateways/tor',
    summary: "tor's state in every running gateway",
    kind: 'json',
    reply: z.object({ gateways: z.record(z.string(), torState) }),
  }),
  'bridges.get': route({ method: 'GET', path: '/gateways/:name/bridges', summary: "A gateway's bridges", kind: 'json', params: nameParam, reply: bridgesView }),
  'bridges.set': route({
    method: 'PUT',
    path: '/gateways/:name/bridges',
    summary: "Set a gateway's bridges",
    kind: 'json',
    params: nameParam,
    body: bridgesBody,
    reply: bridgesView,
  }),
  'bridges.clear': route({
    method: 'DELETE',
    path: '/gateways/:name/bridges',
    summary: "Clear a gateway's bridges",
    kind: 'json',
    params: nameParam,
    reply: bridgesView,
  }),
  'gateways.tor-info': route({
    method: 'GET',
    path: '/gateways/:name/tor-info',
    summary: "A running gateway's bootstrap phase and built circuits",
    kind: 'json',
    params: nameParam,
    reply: torInfo,
  }),
  'qubes.newnym': route({
    method: 'POST',
    path: '/qubes/:name/newnym',
    summary: "New Identity (SIGNAL NEWNYM) from a workstation, through its gateway's control-port filter",
    kind: 'json',
    params: nameParam,
    reply: newnymResult,
  }),
  'qubes.check': route({
    method: 'GET',
    path: '/qubes/:name/check',
    summary: 'The workstation check (systemcheck)',
    kind: 'json',
    params: nameParam,
    reply: checkReport,
  }),
} as const;
