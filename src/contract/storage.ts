// Contract of the volume and template routes: sizes, resize, revisions and revert (qvm-volume); template list, build, import.
import { z } from 'zod';
import { route, ndjsonLine } from './route.js';
import { count, nameParam, progress } from './common.js';

export const resizeBody = z.object({ size: z.string().min(1).max(40) }).strict();
export const revertBody = z.object({ revision: z.string().min(1) }).strict();
/** Root revert: the revision is optional (the newest earlier root). */
export const rootRevertBody = z.object({ revision: z.string().min(1).optional() }).strict();
export const templateBuildBody = z.object({ name: z.string(), flavor: z.string().optional(), refresh: z.boolean().optional() }).strict();
export const templateImportBody = z.object({ name: z.string(), source: z.string(), label: z.string().optional() }).strict();

export const treeUsage = z.object({ diskBytes: count, apparentBytes: count, entries: count });
/** Dates are ISO strings on the wire. */
const revision = z.object({ name: z.string(), createdAt: z.string(), path: z.string() });
export const volumeInfoReply = z.object({
  name: z.string(),
  dir: z.string(),
  usage: treeUsage,
  encrypted: z.boolean(),
  volumes: z.array(
    z.object({
      kind: z.string(),
      path: z.string(),
      persistent: z.boolean(),
      usage: treeUsage,
      bound: z.enum(['image', 'tmpfs']).nullable(),
      sizeBytes: count.nullable(),
      revisions: z.array(revision.extend({ usage: treeUsage })).optional(),
    }),
  ),
});
export type VolumeInfoReply = z.infer<typeof volumeInfoReply>;
export const resizeResult = z.object({ volume: z.string(), sizeBytes: count, applied: z.enum(['now', 'next start']) });
export type ResizeResult = z.infer<typeof resizeResult>;
export const revertResult = z.object({ restored: z.string(), savedAs: z.string() });
export type RevertResult = z.infer<typeof revertResult>;
const revisions = z.object({ revisions: z.array(revision) });

export const templateBuildProgress = progress;
export const templateBuildResult = z.object({ name: z.string(), reused: z.boolean(), fromCache: z.boolean().optional(), seconds: count.optional() });

export const storageRoutes = {
  'volumes.list': route({
    method: 'GET',
    path: '/qubes/:name/volumes',
    summary: "A qube's volumes and their sizes",
    kind: 'json',
    params: nameParam,
    reply: volumeInfoReply,
  }),
  'volumes.resize': route({
    method: 'POST',
    path: '/qubes/:name/volumes/:volume/resize',
    summary: 'Grow a volume',
    kind: 'json',
    params: z.object({ name: z.string().min(1).max(64), volume: z.string() }).strict(),
    body: resizeBody,
    reply: resizeResult,
  }),
  'volumes.privateRevisions': route({
    method: 'GET',
    path: '/qubes/:name/volumes/private/revisions',
    summary: "The private volume's revisions",
    kind: 'json',
    params: nameParam,
    reply: revisions,
  }),
  'volumes.privateRevert': route({
    method: 'POST',
    path: '/qubes/:name/volumes/private/revert',
    summary: 'Revert the private volume to a revision',
    kind: 'json',
    params: nameParam,
    body: revertBody,
    reply: revertResult,
  }),
  'volumes.rootRevisions': route({
    method: 'GET',
    path: '/qubes/:name/volumes/root/revisions',
    summary: "A template's earlier roots",
    kind: 'json',
    params: nameParam,
    reply: revisions,
  }),
  'volumes.rootRevert': route({
    method: 'POST',
    path: '/qubes/:name/volumes/root/revert',
    summary: "Revert a template's root",
    kind: 'json',
    params: nameParam,
    body: rootRevertBody.optional(),
    reply: revertResult,
  }),
  'templates.list': route({
    method: 'GET',
    path: '/templates',
    summary: 'Templates',
    kind: 'json',
    reply: z.object({ templates: z.array(z.object({ name: z.string(), label: z.string(), running: z.boolean(), rootfs: z.string() })) }),
  }),
  'templates.build': route({
    method: 'POST',
    path: '/templates/build',
    summary: 'Build a template with mmdebstrap; progress lines, then the result',
    kind: 'ndjson',
    body: templateBuildBody,
    reply: ndjsonLine(templateBuildProgress, templateBuildResult),
  }),
  'templates.import': route({
    method: 'POST',
    path: '/templates/import',
    summary: 'Import a root filesystem as a template',
    kind: 'json',
    body: templateImportBody,
    reply: z.object({ name: z.string(), seconds: count }),
    status: 201,
  }),
} as const;
