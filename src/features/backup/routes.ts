// Admin API: backup create, restore and verify; progress streamed as newline-delimited JSON, the last line the result or the error.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { backupCreateBody as createBody, backupRestoreBody as restoreBody, backupVerifyBody as verifyBody } from '../../contract/backup.js';
import type { DaemonContext } from '../../daemon/context.js';
import { BulkheadError } from '../../errors/index.js';
import type { BackupProgress } from './create.js';

/** Run `work` with its progress streamed; a failure after the stream began is its last line. */
async function streamed(reply: FastifyReply, work: (progress: (p: BackupProgress) => void) => Promise<unknown>): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  const line = (o: unknown) => res.write(`${JSON.stringify(o)}\n`);
  try {
    line({ result: await work((p) => line({ progress: p })) });
  } catch (e) {
    line({ error: e instanceof BulkheadError ? e.code : 'ERR_INTERNAL', message: e instanceof Error ? e.message : String(e) });
  }
  res.end();
}

export function backupRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  app.post('/backup/create', async (req, reply) => {
    const b = createBody.parse(req.body);
    const { createBackup } = await import('./create.js');
    await streamed(reply, (p) => createBackup(ctx, { file: b.file, qubes: b.qubes, passphrase: b.passphrase, templates: b.templates }, p));
  });
  // The restore of Qubes OS backups (`--qubes`) hands over to src/backup/qubes/ here.
  app.post('/backup/restore', async (req, reply) => {
    const b = restoreBody.parse(req.body);
    const { restoreBackup } = await import('./restore.js');
    await streamed(reply, (p) => restoreBackup(ctx, { file: b.file, passphrase: b.passphrase, qubes: b.qubes, conflicts: b.conflicts }, p));
  });
  app.post('/backup/verify', async (req, reply) => {
    const b = verifyBody.parse(req.body);
    const { verifyBackup } = await import('./restore.js');
    await streamed(reply, (p) => verifyBackup({ file: b.file, passphrase: b.passphrase }, p));
  });
}
