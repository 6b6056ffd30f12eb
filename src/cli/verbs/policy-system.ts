// Reads and validates a system description JSON file (qubes, classes, tags, state) for offline policy checks.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { SystemSnapshot } from '../../policy/index.js';

const qubeSchema = z
  .object({
    class: z.enum(['app', 'template', 'standalone', 'disposable', 'admin']),
    tags: z.array(z.string()).default([]),
    running: z.boolean().default(false),
    default_dispvm: z.string().min(1).nullable().default(null),
    template_for_dispvms: z.boolean().default(false),
    internal: z.boolean().default(false),
    uuid: z.string().min(1).nullable().default(null),
  })
  .strict();

export const systemSchema = z.object({ qubes: z.record(z.string().min(1), qubeSchema) }).strict();

/** Reads `path`; returns the snapshot or error lines naming the bad field by its path. */
export function readSystemFile(path: string): { ok: true; system: SystemSnapshot } | { ok: false; errors: string[] } {
  let untrusted: unknown;
  try {
    untrusted = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    return { ok: false, errors: [`${path}: ${(e as Error).message}`] };
  }
  const parsed = systemSchema.safeParse(untrusted);
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.map((i) => `${path}: ${i.path.length ? i.path.join('.') : '(top)'}: ${i.message}`),
    };
  }
  return { ok: true, system: parsed.data };
}
