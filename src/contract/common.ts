// Schemas shared by several routes of the contract: a qube's name, its view, power states, passphrases.
import { z } from 'zod';

/** The longest passphrase of an encrypted qube, in bytes (the key file's bound). */
export const MAX_PASSPHRASE_BYTES = 1024;
export const passphraseField = z.string().min(1).max(MAX_PASSPHRASE_BYTES);

/** The `:name` parameter of every route about one qube. */
export const nameParam = z.object({ name: z.string().min(1).max(64) }).strict();
export const keyParams = z.object({ name: z.string(), key: z.string() }).strict();

export const powerState = z.enum(['halted', 'running', 'paused', 'transient']);
export type PowerState = z.infer<typeof powerState>;

/** How a qube is shown by the API (ls, create, clone): effective values, power state, class names. */
export const qubeView = z.object({
  name: z.string(),
  klass: z.string(),
  qubesClass: z.string(),
  state: powerState,
  label: z.string(),
  template: z.string().nullable(),
  netvm: z.string().nullable(),
  qid: z.number().int(),
  uuid: z.string(),
  tags: z.array(z.string()),
  features: z.record(z.string(), z.string()),
});
export type QubeView = z.infer<typeof qubeView>;

export const propValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export const propView = z.object({
  name: z.string(),
  value: propValue,
  isDefault: z.boolean(),
  type: z.enum(['string', 'int', 'bool', 'qube', 'label', 'size']),
});
export type PropView = z.infer<typeof propView>;

/** A JSON number of bytes, seconds or entries. */
export const count = z.number().nonnegative();

/** Progress of long work (a template build, a backup): the phase, and work done out of total. */
export const progress = z.object({ phase: z.string(), done: count, total: count });
export type Progress = z.infer<typeof progress>;
