// Contract of the forensics routes: acquisition of a qube's artefacts, and the residue proof of disposables.
import { z } from 'zod';
import { route } from './route.js';
import { count, nameParam } from './common.js';

const MIB = 1024 * 1024;
const absolute = z
  .string()
  .regex(/^\/[^\0]*$/, 'an absolute path')
  .max(4096);

export const acquireBody = z.object({ out: absolute, memory: z.boolean().optional() }).strict();
export const artefact = z.object({ path: z.string(), what: z.string(), bytes: count, sha256: z.string() });
export type Artefact = z.infer<typeof artefact>;
export const acquireManifest = z.object({
  tool: z.object({ name: z.literal('bulkhead'), version: z.string() }),
  qube: z.object({ name: z.string(), klass: z.string(), template: z.string().nullable(), state: z.enum(['running', 'paused', 'halted']) }),
  startedAt: z.string(),
  finishedAt: z.string(),
  /** A running qube: when its processes were frozen and thawed (cgroup freezer). */
  frozenAt: z.string().nullable(),
  thawedAt: z.string().nullable(),
  artefacts: z.array(artefact),
  notes: z.array(z.string()),
  /** Each process of a running qube: its status fields, pid, command line and memory dump. */
  processes: z.array(z.object({ pid: z.number().int(), cmdline: z.array(z.string()) }).passthrough()).optional(),
});
export type AcquireManifestReply = z.infer<typeof acquireManifest>;

export const PLACES = ['state', 'tmp', 'journal', 'device'] as const;
export type Place = (typeof PLACES)[number];
export const residueBody = z
  .object({
    template: z.string().min(1).max(64).optional(),
    places: z.array(z.enum(PLACES)).min(1).max(PLACES.length).optional(),
    device: absolute.optional(),
    // A canary file per place: at least a few blocks, at most what a small disposable holds.
    bytes: z
      .number()
      .int()
      .min(4096)
      .max(64 * MIB)
      .optional(),
  })
  .strict();
export type ResidueRequest = z.infer<typeof residueBody>;
export const reportedHit = z.object({
  canary: z.enum(['disposable', 'control']),
  /** A file (path) or the raw device (device + offset). */
  path: z.string().optional(),
  device: z.string().optional(),
  offset: count,
});
export type ReportedHit = z.infer<typeof reportedHit>;
export const placeScan = z.object({
  place: z.enum([...PLACES, 'var-tmp', 'crun']),
  root: z.string(),
  scanned: z.boolean(),
  /** Why it was not scanned, or what was scanned. */
  note: z.string(),
  files: count,
  bytes: count,
  seconds: count,
  /** Hits of the disposable's canary and of the control canary. */
  counts: z.object({ disposable: count, control: count }),
  hits: z.array(reportedHit),
  skipped: z.array(z.object({ path: z.string(), why: z.string() })),
});
export type PlaceScan = z.infer<typeof placeScan>;
export const residueReport = z.object({
  disposable: z.object({ name: z.string(), template: z.string(), amnesic: z.boolean() }),
  /** SHA-256 of the canaries (the canaries themselves are never written anywhere). */
  canarySha256: z.string(),
  controlSha256: z.string(),
  writes: z.array(z.object({ place: z.string(), ok: z.boolean(), detail: z.string().optional() })),
  swap: z.string(),
  scans: z.array(placeScan),
  /** Whether the disposable's canary was found anywhere; whether the control was found on the raw device (null: no raw scan). */
  found: z.boolean(),
  controlFound: z.boolean().nullable(),
  seconds: count,
});
export type ResidueReport = z.infer<typeof residueReport>;

export const forensicsRoutes = {
  'forensics.acquire': route({
    method: 'POST',
    path: '/qubes/:name/forensics/acquire',
    summary: "Acquire a qube's artefacts into a new directory",
    kind: 'json',
    params: nameParam,
    body: acquireBody,
    reply: acquireManifest,
  }),
  'forensics.residue': route({
    method: 'POST',
    path: '/forensics/residue',
    summary: "The residue proof of a disposable's data",
    kind: 'json',
    body: residueBody.optional(),
    reply: residueReport,
  }),
} as const;
