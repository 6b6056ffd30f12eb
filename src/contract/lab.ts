// Contract of the lab routes: the sealed lab world up, down and its status, as data (the CLI renders it).
import { z } from 'zod';
import { route } from './route.js';
import { count } from './common.js';

export const labHostStatus = z.object({
  name: z.string(),
  role: z.string(),
  netns: z.string(),
  addresses: z.array(z.string()),
  names: z.array(z.string()),
  present: z.boolean(),
  pid: z.number().int().optional(),
  running: z.boolean().optional(),
});
export type LabHostStatus = z.infer<typeof labHostStatus>;
export const labStatus = z.object({
  up: z.boolean(),
  prefix: z.string().nullable(),
  stateDir: z.string(),
  hosts: z.array(labHostStatus),
  uplinks: z.array(z.object({ netns: z.string(), ifname: z.string(), address: z.string(), gateway: z.string() })),
  /** The lab CA certificate that clients trust (`curl --cacert`). */
  caCert: z.string().nullable(),
  /** Why the lab is not up, if it is not. */
  problems: z.array(z.string()),
});
export type LabStatus = z.infer<typeof labStatus>;
export const labTorView = z.object({
  onionAddress: z.string(),
  nodes: z.array(z.object({ nick: z.string(), role: z.string(), address: z.string(), pid: z.number().int() })),
});
export type LabTorView = z.infer<typeof labTorView>;
export const labStatusReply = z.object({ lab: labStatus, tor: labTorView.nullable() });
export type LabStatusReply = z.infer<typeof labStatusReply>;
export const labUpReply = z.object({
  lab: labStatus,
  ms: count,
  tor: z.object({ nodes: z.number().int(), onionAddress: z.string(), ms: count }).nullable(),
});
export type LabUpReply = z.infer<typeof labUpReply>;
export const labDownReport = z.object({ stopped: z.array(z.number().int()), namespaces: z.array(z.string()), files: z.array(z.string()) });
export type LabDownReport = z.infer<typeof labDownReport>;
export const labUpQuery = z.object({ tor: z.enum(['true', 'false']).optional() }).strict();

export const labRoutes = {
  'lab.status': route({ method: 'GET', path: '/lab/status', summary: 'The lab world and its Tor network', kind: 'json', reply: labStatusReply }),
  'lab.up': route({ method: 'POST', path: '/lab/up', summary: 'Bring the lab world up', kind: 'json', query: labUpQuery, reply: labUpReply }),
  'lab.down': route({ method: 'POST', path: '/lab/down', summary: 'Take the lab world down', kind: 'json', reply: labDownReport }),
} as const;
