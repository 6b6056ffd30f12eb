// Admin API: restore qubes from a Qubes OS v4 backup file (qvm-backup-restore of a Qubes backup).
import type { FastifyInstance } from 'fastify';
import { qubesRestoreBody as restoreQubesBody } from '../../../contract/backup.js';
import type { DaemonContext } from '../../../daemon/context.js';
import { restoreQubesBackup } from './restore.js';

export function qubesBackupRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  app.post('/backup/restore-qubes', async (req) => restoreQubesBackup(ctx, restoreQubesBody.parse(req.body)));
}
