// Verb `backup restore --qubes FILE` (qvm-backup-restore of a Qubes OS v4 backup): its registration and its client call.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';

export interface QubesRestoreOptions { qubes: string; passphraseFile?: string; verifyOnly?: boolean; json?: boolean }

interface Report {
  backupId: string;
  restored: { name: string; klass: string; template: string; netvm: string; tags: string[]; firewallRules: number; homeBytes: number | null; notes: string[] }[];
  skipped: { name: string; reason: string }[];
  verifiedBytes: number;
  seconds: number;
}

/** The passphrase file's first line (a trailing newline is not part of the passphrase). */
function readPassphrase(file: string | undefined): string {
  if (!file) throw new Error('backup restore --qubes: give --passphrase-file FILE (the passphrase of the Qubes backup)');
  const text = readFileSync(file, 'utf8');
  const pass = text.split(/\r?\n/)[0] ?? '';
  if (!pass) throw new Error(`backup restore --qubes: ${file} holds no passphrase`);
  return pass;
}

export async function restoreQubes(names: string[], o: QubesRestoreOptions): Promise<string> {
  // Loaded only when the verb runs (main.ts declares every verb without loading its code).
  const [{ apiClient }, { table }] = await Promise.all([import('../client.js'), import('../output.js')]);
  const body = { file: resolve(o.qubes), passphrase: readPassphrase(o.passphraseFile), qubes: names, verifyOnly: !!o.verifyOnly };
  const r = await apiClient().request<Report>('POST', '/backup/restore-qubes', body);
  if (o.json) return JSON.stringify(r, null, 2) + '\n';
  const mb = (r.verifiedBytes / 1e6).toFixed(1);
  const lines = [`Qubes backup ${r.backupId}: ${mb} MB verified in ${r.seconds.toFixed(1)} s${o.verifyOnly ? ' (nothing created)' : ''}\n`];
  if (r.restored.length) {
    lines.push(table(r.restored.map((q) => [q.name, q.klass, q.template, q.netvm, q.tags.join(',') || '-', String(q.firewallRules), q.homeBytes === null ? '-' : `${(q.homeBytes / 1e6).toFixed(1)} MB`]),
      ['QUBE', 'CLASS', 'TEMPLATE', 'NETVM', 'TAGS', 'FW RULES', 'HOME']));
  }
  for (const q of r.restored) for (const n of q.notes) lines.push(`${q.name}: ${n}\n`);
  for (const s of r.skipped) lines.push(`skipped ${s.name}: ${s.reason}\n`);
  return lines.join('');
}

type Act = (load: (...args: never[]) => Promise<string>) => (...args: unknown[]) => Promise<void>;

/** Declare `backup restore --qubes FILE [QUBE…]` (under an existing `backup` command when there is one). */
export function registerQubesBackupRestore(program: Command, act: Act): void {
  const backup = program.commands.find((c) => c.name() === 'backup') ?? program.command('backup').description('backups of qubes; restore of Qubes OS backups');
  backup.command('restore').description('restore qubes from a Qubes OS 4.x backup (qvm-backup-restore): verified whole before anything is created')
    .argument('[qubes...]', 'qubes to restore (default: every qube whose data the backup holds)')
    .requiredOption('--qubes <file>', 'the Qubes OS backup file (format version 4)')
    .option('--passphrase-file <file>', "file whose first line is the backup's passphrase")
    .option('--verify-only', 'check the backup and the plan; create nothing')
    .option('--json', 'JSON output')
    .action(act(async (n: string[], o: QubesRestoreOptions) => restoreQubes(n, o)));
}
