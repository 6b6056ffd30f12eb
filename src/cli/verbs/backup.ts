// Verb backup create|restore|verify: bulkhead's encrypted backups (qvm-backup, qvm-backup-restore), progress shown while the daemon works.
import { resolve } from 'node:path';
import { apiClient } from '../client.js';
import { progressReporter } from '../progress.js';
import { getPassphrase } from '../passphrase.js';
import type { CallInput, CallReply, Routes } from '../../contract/index.js';

const MIB = 1024 * 1024;

type BackupRoute = 'backup.create' | 'backup.restore' | 'backup.verify';
type ResultOf<N extends BackupRoute> = Extract<CallReply<Routes[N]>, { result: unknown }> extends { result: infer R } ? R : never;

/** Send one backup request and show its progress (a bar on a terminal, a line per phase otherwise); returns the result line. */
async function withProgress<N extends BackupRoute>(what: string, name: N, body: CallInput<Routes[N]>['body']): Promise<ResultOf<N>> {
  const progress = progressReporter(process.stderr, what, { bytes: true });
  let result: ResultOf<N> | null = null;
  let err: string | null = null;
  try {
    await apiClient().stream(name, { body } as CallInput<Routes[N]>, (line) => {
      if ('progress' in line) progress.update(line.progress);
      else if ('result' in line) result = line.result as ResultOf<N>;
      else err = line.message;
    });
  } finally {
    progress.stop();
  }
  if (err) throw new Error(err);
  if (!result) throw new Error(`${what}: the daemon gave no result`);
  return result;
}

const mb = (bytes: number, s: number) => `${(bytes / MIB).toFixed(1)} MiB in ${s.toFixed(1)} s`;

export async function backupCreate(file: string, qubes: string[], o: { passphraseFile?: string; templates?: boolean }): Promise<string> {
  const passphrase = await getPassphrase(o.passphraseFile, true);
  const r = await withProgress('backup', 'backup.create', { file: resolve(file), qubes, passphrase, templates: o.templates });
  return `backed up ${r.qubes.join(', ')} to ${r.file}: ${r.entries} volumes, ${mb(r.volumeBytes, r.seconds)} (${(r.volumeBytes / 1e6 / Math.max(0.001, r.seconds)).toFixed(0)} MB/s), ${(r.sourceBytes / MIB).toFixed(1)} MiB of data read, file ${(r.bytes / MIB).toFixed(1)} MiB\n`;
}

export async function backupRestore(
  file: string,
  qubes: string[],
  o: { passphraseFile?: string; renameConflicts?: boolean; skipConflicts?: boolean },
): Promise<string> {
  if (o.renameConflicts && o.skipConflicts) throw new Error('backup restore: --rename-conflicts and --skip-conflicts exclude each other');
  const passphrase = await getPassphrase(o.passphraseFile, false);
  const r = await withProgress('restore', 'backup.restore', {
    file: resolve(file),
    passphrase,
    qubes,
    conflicts: o.renameConflicts ? 'rename' : 'skip',
  });
  const out: string[] = [];
  for (const q of r.restored) out.push(q.as === q.name ? `restored ${q.name} (${q.klass})` : `restored ${q.name} as ${q.as} (${q.klass})`);
  for (const s of r.skipped) out.push(`skipped ${s.name}: ${s.reason}`);
  for (const w of r.warnings) out.push(`warning: ${w}`);
  if (r.policyRefs.length) {
    out.push('policy lines that named these qubes where the backup was made (not applied; edit policy.d if they should hold here):');
    for (const p of r.policyRefs) out.push(`  ${p.qube}: ${p.file}:${p.line}: ${p.text}`);
  }
  out.push(`read ${mb(r.bytes, r.seconds)}`);
  return `${out.join('\n')}\n`;
}

export async function backupVerify(file: string, o: { passphraseFile?: string }): Promise<string> {
  const passphrase = await getPassphrase(o.passphraseFile, false);
  const r = await withProgress('verify', 'backup.verify', { file: resolve(file), passphrase });
  return `${resolve(file)}: every record authentic, complete (trailer checked)\n  backup ${r.backupId}, made ${r.createdAt}\n  qubes: ${r.qubes.map((q) => `${q.name} (${q.klass})`).join(', ')}\n  ${r.entries} volumes, ${mb(r.bytes, r.seconds)}\n`;
}
