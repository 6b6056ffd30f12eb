// The manifest of a backup: which qubes (their records, firewall, policy references) and which entries follow, validated with every size bounded (pure).
import { z } from 'zod';
import { BulkheadError } from '../../errors/index.js';
import { parseRule } from '../../firewall/index.js';
import { LABEL_NAMES, validateFeatureName, validateName, validateTag } from '../../model/index.js';
import { LIMITS } from './format.js';

export const MANIFEST_VERSION = 1;
const MAX_QUBES = 1024;

const propValue = z.union([z.string().max(4096), z.number().finite(), z.boolean(), z.null()]);

/** A policy line that named the qube when the backup was made (restored as information, never applied). */
const policyRef = z.object({ file: z.string().max(255), line: z.number().int().min(1).max(1_000_000), text: z.string().max(4096) }).strict();

const qubeSchema = z
  .object({
    name: z.string().max(64),
    klass: z.enum(['template', 'app', 'standalone']),
    label: z.enum(LABEL_NAMES as unknown as [string, ...string[]]),
    props: z.record(z.string().max(64), propValue).refine((r) => Object.keys(r).length <= 256, 'at most 256 properties'),
    tags: z.array(z.string().max(64)).max(256),
    features: z.record(z.string().max(64), z.string().max(4096)).refine((r) => Object.keys(r).length <= 1024, 'at most 1024 features'),
    /** Qubes-format firewall rules, or null for "never set" (the default: accept all). */
    firewall: z.array(z.string().max(1024)).max(4096).nullable(),
    /** First host uid of the qube's range when it was backed up: restore moves owners from it to the new range. */
    uidBase: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1),
    policyRefs: z.array(policyRef).max(1024),
  })
  .strict();

/** Which volume an entry holds. Every entry is one zstd-compressed tar stream whose one top-level member is named after the volume. */
export const ENTRY_VOLUMES = ['private', 'root', 'rootfs'] as const;
export type EntryVolume = (typeof ENTRY_VOLUMES)[number];

const entrySchema = z
  .object({
    /** The chunk name bound into every record of the entry: `QUBE/VOLUME.img` or `QUBE/VOLUME.tree`. */
    name: z.string().max(128),
    qube: z.string().max(64),
    volume: z.enum(ENTRY_VOLUMES),
    /** The member is an ext4 image (one regular file, sparse) or a directory tree. */
    format: z.enum(['image', 'tree']),
    /** An image's exact length (checked after restore); a tree's size (progress only). */
    bytes: z
      .number()
      .int()
      .min(0)
      .max(2 ** 50),
  })
  .strict();

const manifestSchema = z
  .object({
    version: z.literal(MANIFEST_VERSION),
    createdAt: z.string().max(64),
    bulkhead: z.string().max(64),
    qubes: z.array(qubeSchema).max(MAX_QUBES),
    entries: z.array(entrySchema).max(LIMITS.maxEntries),
  })
  .strict();

export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestQube = z.infer<typeof qubeSchema>;
export type ManifestEntry = z.infer<typeof entrySchema>;

export function entryName(qube: string, volume: EntryVolume, format: 'image' | 'tree'): string {
  return `${qube}/${volume}.${format === 'image' ? 'img' : 'tree'}`;
}

const bad = (msg: string) => new BulkheadError('ERR_BACKUP', `manifest: ${msg}`);

/**
 * Parse and check a manifest (authenticated by then, but still checked: a backup made by
 * another program with the same passphrase must not get past the model's rules).
 */
export function parseManifest(untrustedText: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(untrustedText);
  } catch (e) {
    throw bad(`not JSON (${(e as Error).message})`);
  }
  const r = manifestSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw bad(`${i?.path.join('.') || '(root)'}: ${i?.message ?? 'invalid'}`);
  }
  const m = r.data;
  const names = new Set<string>();
  for (const [i, q] of m.qubes.entries()) {
    const field = `qubes.${i}`;
    try {
      validateName(q.name, `${field}.name`);
      q.tags.forEach(validateTag);
      Object.keys(q.features).forEach(validateFeatureName);
      for (const rule of q.firewall ?? []) parseRule(rule);
    } catch (e) {
      throw bad(`${field} (${q.name}): ${(e as Error).message}`);
    }
    if (names.has(q.name)) throw bad(`${field}: qube '${q.name}' appears twice`);
    names.add(q.name);
  }
  const entryNames = new Set<string>();
  for (const [i, e] of m.entries.entries()) {
    if (!names.has(e.qube)) throw bad(`entries.${i}: qube '${e.qube}' is not among the backup's qubes`);
    if (e.name !== entryName(e.qube, e.volume, e.format)) throw bad(`entries.${i}: name '${e.name}' does not match its qube, volume and format`);
    if (entryNames.has(e.name)) throw bad(`entries.${i}: '${e.name}' appears twice`);
    if (e.volume === 'rootfs' && e.format !== 'tree') throw bad(`entries.${i}: a root filesystem is a directory tree`);
    const q = m.qubes.find((x) => x.name === e.qube)!;
    if (e.volume !== 'private' && q.klass === 'app') throw bad(`entries.${i}: an app qube has no ${e.volume} volume in a backup`);
    entryNames.add(e.name);
  }
  return m;
}

export function encodeManifest(m: Manifest): Buffer {
  const text = Buffer.from(JSON.stringify(m), 'utf8');
  if (text.length > LIMITS.maxManifestBytes) throw new BulkheadError('ERR_BACKUP', `manifest of ${text.length} bytes exceeds ${LIMITS.maxManifestBytes}`);
  return text;
}
