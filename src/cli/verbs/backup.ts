// Verb backup create|restore|verify: bulkhead's encrypted backups (qvm-backup, qvm-backup-restore), progress shown while the daemon works.
import cliProgress from 'cli-progress';
import { resolve } from 'node:path';
import { streamNdjson } from '../client.js';
import { getPassphrase } from '../passphrase.js';

interface Progress { phase: string; done: number; total: number }
const MIB = 1024 * 1024;

/** Send one backup request and show its progress (a bar on a terminal, a line per phase otherwise); returns the result line. */
async function withProgress<T>(what: string, path: string, body: unknown): Promise<T> {
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar({ format: ` ${what} {bar} {percentage}% | {doneMiB}/{totalMiB} MiB | {rate} MB/s | {phase}`, clearOnComplete: false, hideCursor: true }, cliProgress.Presets.shades_classic)
    : null;
  const started = Date.now();
  let barStarted = false;
  let lastPhase = '';
  let result: T | null = null;
  let err: string | null = null;
  await streamNdjson(path, body, (line) => {
    if (line.progress) {
      const p = line.progress as Progress;
      const payload = { phase: p.phase, doneMiB: (p.done / MIB).toFixed(0), totalMiB: (p.total / MIB).toFixed(0), rate: (p.done / 1e6 / Math.max(0.001, (Date.now() - started) / 1000)).toFixed(0) };
      if (bar) {
        if (!barStarted) { bar.start(Math.max(1, p.total), p.done, payload); barStarted = true; }
        bar.setTotal(Math.max(1, p.total));
        bar.update(p.done, payload);
      } else if (p.phase !== lastPhase) {
        process.stderr.write(`${what}: ${p.phase} (${Math.round((100 * p.done) / Math.max(1, p.total))}%)\n`);
      }
      lastPhase = p.phase;
    } else if (line.result) {
      result = line.result as T;
    } else if (line.error) {
      err = String(line.message);
    }
  });
  bar?.stop();
  if (err) throw new Error(err);
  if (!result) throw new Error(`${what}: the daemon gave no result`);
  return result;
}

const mb = (bytes: number, s: number) => `${(bytes / MIB).toFixed(1)} MiB in ${s.toFixed(1)} s`;

export async function backupCreate(file: string, qubes: string[], o: { passphraseFile?: string; templates?: boolean }): Promise<string> {
  const passphrase = await getPassphrase(o.passphraseFile, true);
  const r = await withProgress<{ file: string; qubes: string[]; entries: number; bytes: number; volumeBytes: number; sourceBytes: number; seconds: number }>('backup', '/backup/create', { file: resolve(file), qubes, passphrase, templates: o.templates });
  return `backed up ${r.qubes.join(', ')} to ${r.file}: ${r.entries} volumes, ${mb(r.volumeBytes, r.seconds)} (${(r.volumeBytes / 1e6 / Math.max(0.001, r.seconds)).toFixed(0)} MB/s), ${(r.sourceBytes / MIB).toFixed(1)} MiB of data read, file ${(r.bytes / MIB).toFixed(1)} MiB\n`;
}

interface RestoreResult {
  restored: { name: string; as: string; klass: string }[];
  skipped: { name: string; reason: string }[];
  warnings: string[];
  policyRefs: { qube: string; file: string; line: number; text: string }[];
  bytes: number;
  seconds: number;
}

export async function backupRestore(file: string, qubes: string[], o: { passphraseFile?: string; renameConflicts?: boolean; skipConflicts?: boolean }): Promise<string> {
  if (o.renameConflicts && o.skipConflicts) throw new Error('backup restore: --rename-conflicts and --skip-conflicts exclude each other');
  const passphrase = await getPassphrase(o.passphraseFile, false);
  const r = await withProgress<RestoreResult>('restore', '/backup/restore', { file: resolve(file), passphrase, qubes, conflicts: o.renameConflicts ? 'rename' : 'skip' });
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
  const r = await withProgress<{ backupId: string; createdAt: string; qubes: { name: string; klass: string }[]; entries: number; bytes: number; seconds: number }>('verify', '/backup/verify', { file: resolve(file), passphrase });
  return `${resolve(file)}: every record authentic, complete (trailer checked)\n  backup ${r.backupId}, made ${r.createdAt}\n  qubes: ${r.qubes.map((q) => `${q.name} (${q.klass})`).join(', ')}\n  ${r.entries} volumes, ${mb(r.bytes, r.seconds)}\n`;
}
