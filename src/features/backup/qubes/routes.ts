// Admin API: restore qubes from a Qubes OS v4 backup file (qvm-backup-restore of a Qubes backup).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { DaemonContext } from '../../../daemon/context.js';
import { restoreQubesBackup } from './restore.js';

const restoreQubesBody = z
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

export function qubesBackupRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  app.post('/backup/restore-qubes', async (req) => restoreQubesBackup(ctx, restoreQubesBody.parse(req.body)));
}
