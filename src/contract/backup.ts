// Contract of the backup routes: create, restore, verify (progress lines, then the result), and restore of Qubes OS backups.
import { z } from 'zod';
import { route, ndjsonLine } from './route.js';
import { count, progress } from './common.js';

const passphrase = z.string().min(1).max(4096);
const file = z.string().min(1).max(4096);
export const backupCreateBody = z.object({ file, qubes: z.array(z.string().max(64)).min(1).max(1024), passphrase, templates: z.boolean().optional() }).strict();
export const backupRestoreBody = z
  .object({ file, passphrase, qubes: z.array(z.string().max(64)).max(1024).optional(), conflicts: z.enum(['skip', 'rename']).optional() })
  .strict();
export const backupVerifyBody = z.object({ file, passphrase }).strict();
export const backupProgress = progress;
export type BackupProgress = z.infer<typeof backupProgress>;

export const backupCreateResult = z.object({
  file: z.string(),
  qubes: z.array(z.string()),
  entries: z.number().int(),
  /** The backup file's length. */
  bytes: count,
  /** The volumes' sizes (image lengths, tree sizes): what Qubes counts. */
  volumeBytes: count,
  /** What was read (an image's allocated blocks only). */
  sourceBytes: count,
  seconds: count,
});
export type CreateResult = z.infer<typeof backupCreateResult>;
export const backupRestoreResult = z.object({
  restored: z.array(z.object({ name: z.string(), as: z.string(), klass: z.string() })),
  skipped: z.array(z.object({ name: z.string(), reason: z.string() })),
  warnings: z.array(z.string()),
  /** Policy lines that named a restored qube where the backup was made (not applied: the admin decides). */
  policyRefs: z.array(z.object({ qube: z.string(), file: z.string(), line: z.number().int(), text: z.string() })),
  bytes: count,
  seconds: count,
});
export type RestoreResult = z.infer<typeof backupRestoreResult>;
export const backupVerifyResult = z.object({
  backupId: z.string(),
  createdAt: z.string(),
  qubes: z.array(z.object({ name: z.string(), klass: z.string() })),
  entries: z.number().int(),
  bytes: count,
  seconds: count,
});
export type VerifyResult = z.infer<typeof backupVerifyResult>;

export const qubesRestoreBody = z
  .object({
    /** An absolute path the admin named; read by the daemon (root). */
    file: z
      .string()
      .min(1)
      .max(4096)
      .refine((p) => p.startsWith('/'), 'file must be an absolute path'),
    passphrase: z.string().min(1).max(4096),
    qubes: z.array(z.string().min(1).max(64)).max(1000).optional(),
    verifyOnly: z.boolean().optional(),
  })
  .strict();
export type QubesRestoreRequest = z.infer<typeof qubesRestoreBody>;
export const qubesRestoreReport = z.object({
  backupId: z.string(),
  restored: z.array(
    z.object({
      name: z.string(),
      klass: z.string(),
      template: z.string(),
      netvm: z.string(),
      tags: z.array(z.string()),
      firewallRules: z.number().int(),
      homeBytes: count.nullable(),
      notes: z.array(z.string()),
    }),
  ),
  skipped: z.array(z.object({ name: z.string(), reason: z.string() })),
  verifiedBytes: count,
  seconds: count,
});
export type QubesRestoreReport = z.infer<typeof qubesRestoreReport>;

export const backupRoutes = {
  'backup.create': route({
    method: 'POST',
    path: '/backup/create',
    summary: 'Make an encrypted backup',
    kind: 'ndjson',
    body: backupCreateBody,
    reply: ndjsonLine(backupProgress, backupCreateResult),
  }),
  'backup.restore': route({
    method: 'POST',
    path: '/backup/restore',
    summary: 'Restore qubes from a backup',
    kind: 'ndjson',
    body: backupRestoreBody,
    reply: ndjsonLine(backupProgress, backupRestoreResult),
  }),
  'backup.verify': route({
    method: 'POST',
    path: '/backup/verify',
    summary: 'Check a whole backup',
    kind: 'ndjson',
    body: backupVerifyBody,
    reply: ndjsonLine(backupProgress, backupVerifyResult),
  }),
  'backup.restoreQubes': route({
    method: 'POST',
    path: '/backup/restore-qubes',
    summary: 'Restore qubes from a Qubes OS v4 backup',
    kind: 'json',
    body: qubesRestoreBody,
    reply: qubesRestoreReport,
  }),
} as const;
