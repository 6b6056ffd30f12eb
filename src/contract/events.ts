// The one typed map of admin events, as schemas: the daemon emits them, `/events` streams them, the audit log and the page consume them.
import { z } from 'zod';
import { torNetwork } from './whonix.js';

const qube = z.string();
export const eventSchemas = {
  'qube-created': z.object({ qube, klass: z.string() }),
  'qube-removed': z.object({ qube }),
  'qube-pre-start': z.object({ qube }),
  'qube-started': z.object({ qube, pid: z.number().int() }),
  'qube-start-failed': z.object({ qube, reason: z.string() }),
  'qube-stopped': z.object({ qube, reason: z.string() }),
  'qube-paused': z.object({ qube }),
  'qube-unpaused': z.object({ qube }),
  'property-set': z.object({ qube, key: z.string(), value: z.unknown() }),
  'property-reset': z.object({ qube, key: z.string() }),
  'tag-added': z.object({ qube, tag: z.string() }),
  'tag-removed': z.object({ qube, tag: z.string() }),
  'feature-set': z.object({ qube, key: z.string(), value: z.string() }),
  'feature-removed': z.object({ qube, key: z.string() }),
  'global-set': z.object({ key: z.string(), value: z.unknown() }),
  'firewall-changed': z.object({ qube, rules: z.array(z.string()) }),
  'rpc-ask': z.object({
    id: z.string(),
    source: z.string(),
    target: z.string(),
    service: z.string(),
    candidates: z.array(z.string()),
    defaultTarget: z.string().nullable(),
  }),
  'rpc-decided': z.object({ id: z.string(), result: z.string(), source: z.string(), target: z.string(), service: z.string() }),
  /** tor in a gateway stopped answering its control port (died, killed); its supervisor restarts it. `network` is the gateway's profile. */
  'gateway-tor-down': z.object({ qube, reason: z.string(), network: torNetwork }),
  /** tor in a gateway answers its control port (after the start, or back after being down). */
  'gateway-tor-up': z.object({ qube, restarts: z.number().int(), network: torNetwork }),
  /** A gateway's bridges were set or cleared (`bridges` = how many it now has); used from its next start or reload. */
  'gateway-bridges-changed': z.object({ qube, network: torNetwork, bridges: z.number().int() }),
  /** A qube's display (Xvfb and its agent) is up and can be attached to. */
  'display-started': z.object({ qube }),
  /** A qube's display ended: the qube stopped, its agent exited, or it broke the display protocol (`reason` names the field). */
  'display-stopped': z.object({ qube, reason: z.string() }),
} as const;

export type EventMap = { [K in keyof typeof eventSchemas]: z.infer<(typeof eventSchemas)[K]> };
export type EventName = keyof EventMap;

const line = <K extends string, D extends z.ZodTypeAny>(event: K, data: D) => z.object({ event: z.literal(event), time: z.string(), data });
const [first, ...rest] = Object.entries(eventSchemas).map(([k, d]) => line(k, d));
/** One line of `/events`: the first is `connected`, then each admin event as it happens. */
export const eventLine = z.discriminatedUnion('event', [line('connected', z.object({})), first!, ...rest]);
export type EventLine = { [K in EventName]: { event: K; time: string; data: EventMap[K] } }[EventName] | { event: 'connected'; time: string; data: object };
