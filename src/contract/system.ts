// Contract of the daemon-wide routes: version, globals, init, shutdown of all, the event stream, the audit log, exec, this contract.
import { z } from 'zod';
import { route } from './route.js';
import { count } from './common.js';
import { valueBody } from './qubes.js';
import { eventLine } from './events.js';

export const hostUplinkOptions = z
  .object({
    nic: z.string().max(64).optional(),
    mode: z.string().max(32).optional(),
    address: z.string().max(64).optional(),
    gateway: z.string().max(64).optional(),
    dns: z.array(z.string().max(64)).max(8).optional(),
  })
  .strict();
export const initBody = z
  .object({ template: z.string().optional(), uplink: z.enum(['lab', 'host']).nullish(), whonix: z.boolean().optional(), host: hostUplinkOptions.optional() })
  .strict();
export type InitRequest = z.infer<typeof initBody>;
export const initReport = z.object({
  created: z.array(z.string()),
  kept: z.array(z.string()),
  globals: z.record(z.string(), z.string()),
  uplink: z.string().optional(),
});
export type InitReport = z.infer<typeof initReport>;

/** Shut every qube down (qvm-shutdown --all): the whole ordered shutdown ends within `timeout` seconds. */
export const shutdownAllBody = z.object({ timeout: z.number().int().positive().max(3600).optional() }).strict();
export const shutdownAllReport = z.object({
  steps: z.array(z.array(z.string())),
  stopped: z.array(z.string()),
  failed: z.array(z.object({ qube: z.string(), reason: z.string() })),
  seconds: count,
});
export type ShutdownAllReport = z.infer<typeof shutdownAllReport>;

export const auditQuery = z
  .object({ qube: z.string().optional(), since: z.coerce.number().int().min(0).optional(), limit: z.coerce.number().int().min(1).max(100000).optional() })
  .strict();
export const auditEntry = z.object({
  seq: z.number().int(),
  time: z.string(),
  actor: z.string(),
  event: z.string(),
  qube: z.string().nullable(),
  detail: z.string(),
  prev_hash: z.string(),
  hash: z.string(),
});
export type AuditEntry = z.infer<typeof auditEntry>;
export const auditVerification = z.object({
  ok: z.boolean(),
  rows: z.number().int(),
  /** The first row whose hash or link does not match, if any. */
  brokenAt: z.number().int().optional(),
  reason: z.string().optional(),
});
export type AuditVerification = z.infer<typeof auditVerification>;

/** What `qvm-run` sends, base64 JSON in the `x-bulkhead-exec` header of its upgrade request. */
export const execParams = z
  .object({
    argv: z.array(z.string()).min(1),
    user: z.string().optional(),
    env: z.record(z.string(), z.string()).optional(),
    noAutostart: z.boolean().optional(),
    template: z.string().optional(),
  })
  .strict();
export type ExecParams = z.infer<typeof execParams>;
/** The `Upgrade:` token of exec connections; after 101 the stream carries RPC frames (stdin up; stdout, stderr, exit down). */
export const EXEC_UPGRADE = 'bulkhead-exec';

/** What each qube uses now: memory and CPU time from its cgroup (running qubes), disk from its volumes (measured in the background). */
export const qubeUsage = z.object({ memoryBytes: count.nullable(), cpuNs: count.nullable(), diskBytes: count.nullable() });
export type QubeUsage = z.infer<typeof qubeUsage>;
/** A login link of the dashboard: a one-time secret in the URL. */
export const dashboardLink = z.object({ url: z.string(), port: z.number().int(), expiresInSeconds: z.number().int() });
export type DashboardLink = z.infer<typeof dashboardLink>;

export const systemRoutes = {
  version: route({
    method: 'GET',
    path: '/version',
    summary: 'The daemon, its prefix and runtime',
    kind: 'json',
    reply: z.object({ name: z.literal('bulkheadd'), version: z.string(), prefix: z.string(), runtime: z.string(), pid: z.number().int() }),
  }),
  openapi: route({
    method: 'GET',
    path: '/openapi.json',
    summary: 'This contract as an OpenAPI 3 document',
    kind: 'json',
    reply: z.record(z.string(), z.unknown()),
  }),
  'globals.list': route({
    method: 'GET',
    path: '/globals',
    summary: 'Global settings',
    kind: 'json',
    reply: z.object({ globals: z.record(z.string(), z.unknown()) }),
  }),
  'globals.set': route({
    method: 'PUT',
    path: '/globals/:key',
    summary: 'Set a global setting',
    kind: 'json',
    params: z.object({ key: z.string() }).strict(),
    body: valueBody,
    reply: z.object({ key: z.string(), value: z.unknown() }),
  }),
  init: route({ method: 'POST', path: '/init', summary: 'First-boot set-up', kind: 'json', body: initBody.optional(), reply: initReport }),
  'shutdown-all': route({
    method: 'POST',
    path: '/shutdown-all',
    summary: 'Shut every qube down in netvm-chain order',
    kind: 'json',
    body: shutdownAllBody.optional(),
    reply: shutdownAllReport,
  }),
  events: route({ method: 'GET', path: '/events', summary: 'The event stream, one JSON object a line', kind: 'ndjson', reply: eventLine }),
  'audit.list': route({
    method: 'GET',
    path: '/audit',
    summary: 'The audit log',
    kind: 'json',
    query: auditQuery,
    reply: z.object({ entries: z.array(auditEntry) }),
  }),
  usage: route({
    method: 'GET',
    path: '/usage',
    summary: 'Memory and CPU time now (cgroups) and disk use of every qube',
    kind: 'json',
    reply: z.object({ time: z.number().int(), qubes: z.record(z.string(), qubeUsage) }),
  }),
  'dashboard.link': route({
    method: 'POST',
    path: '/dashboard/link',
    summary: 'A one-time login link to the dashboard (admin socket only)',
    kind: 'json',
    reply: dashboardLink,
  }),
  'audit.verify': route({ method: 'GET', path: '/audit/verify', summary: "Check the audit log's hash chain", kind: 'json', reply: auditVerification }),
  'qubes.exec': route({
    method: 'POST',
    path: '/qubes/:name/exec',
    summary: `Run a command in a qube: Upgrade: ${EXEC_UPGRADE}, x-bulkhead-exec: base64 JSON of execParams; then RPC frames`,
    kind: 'upgrade',
    params: z.object({ name: z.string().min(1).max(64) }).strict(),
    body: execParams,
    reply: z.never(),
  }),
  'dispvms.exec': route({
    method: 'POST',
    path: '/dispvms/exec',
    summary: `Run a command in a new disposable, destroyed at its end: as qubes.exec`,
    kind: 'upgrade',
    body: execParams,
    reply: z.never(),
  }),
} as const;
