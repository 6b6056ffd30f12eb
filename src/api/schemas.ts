// Request schemas of the admin API (zod); unknown fields are refused, as typed configs should.
import { z } from 'zod';
import { MAX_PASSPHRASE_BYTES } from '../crypt/keyfile.js';

export { nameParam } from '../daemon/feature.js';
const passphraseField = z.string().min(1).max(MAX_PASSPHRASE_BYTES);
export const createBody = z
  .object({
    name: z.string(),
    class: z.string(),
    label: z.string(),
    template: z.string().nullish(),
    props: z.record(z.string(), z.string()).optional(),
    tags: z.array(z.string()).optional(),
    features: z.record(z.string(), z.string()).optional(),
    /** Encrypt the qube under this passphrase (create --encrypted). Never stored, logged or audited. */
    passphrase: passphraseField.optional(),
  })
  .strict();
/** Start: the passphrase of an encrypted qube. */
export const startBody = z.object({ passphrase: passphraseField.optional() }).strict();
/** Passphrase change of an encrypted qube: the master key is rewrapped, the data stays. */
export const passphraseBody = z.object({ old: passphraseField, new: passphraseField }).strict();
export const shutdownBody = z
  .object({ wait: z.boolean().optional(), timeout: z.number().int().positive().max(3600).optional(), force: z.boolean().optional() })
  .strict();
/** Shut every qube down (qvm-shutdown --all): the whole ordered shutdown ends within `timeout` seconds. */
export const shutdownAllBody = z.object({ timeout: z.number().int().positive().max(3600).optional() }).strict();
export const removeQuery = z.object({ force: z.enum(['true', 'false']).optional() }).strict();
export const propBody = z.object({ value: z.string() }).strict();
export const featureBody = z.object({ value: z.string() }).strict();
export const cloneBody = z.object({ name: z.string() }).strict();
export const dispvmBody = z.object({ template: z.string().optional(), name: z.string().optional(), label: z.string().optional() }).strict();
export const resizeBody = z.object({ size: z.string().min(1).max(40) }).strict();
export const revertBody = z.object({ revision: z.string().min(1) }).strict();
/** Root revert: the revision is optional (the newest earlier root). */
export const rootRevertBody = z.object({ revision: z.string().min(1).optional() }).strict();
export const templateBuildBody = z.object({ name: z.string(), flavor: z.string().optional(), refresh: z.boolean().optional() }).strict();
export const templateImportBody = z.object({ name: z.string(), source: z.string(), label: z.string().optional() }).strict();
export const execParams = z
  .object({
    argv: z.array(z.string()).min(1),
    user: z.string().optional(),
    env: z.record(z.string(), z.string()).optional(),
    noAutostart: z.boolean().optional(),
    template: z.string().optional(),
  })
  .strict();
