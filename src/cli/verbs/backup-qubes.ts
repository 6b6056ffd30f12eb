// Verb `backup restore --qubes FILE [QUBE…]` (qvm-backup-restore of a Qubes OS v4 backup): its client call and report.
import { resolve } from 'node:path';
import { getPassphrase } from '../passphrase.js';

export interface QubesRestoreOptions {
  qubes: string;
  passphraseFile?: string;
  verifyOnly?: boolean;
  json?: boolean;
}

export async function restoreQubes(names: string[], o: QubesRestoreOptions): Promise<string> {
  // Loaded only when the verb runs (main.ts declares every verb without loading its code).
  const [{ apiClient }, { table }] = await Promise.all([import('../client.js'), import('../output.js')]);
  const body = { file: resolve(o.qubes), passphrase: await getPassphrase(o.passphraseFile, false), qubes: names, verifyOnly: !!o.verifyOnly };
  const r = await apiClient().call('backup.restoreQubes', { body });
  if (o.json) return JSON.stringify(r, null, 2) + '\n';
  const mb = (r.verifiedBytes / 1e6).toFixed(1);
  const lines = [`Qubes backup ${r.backupId}: ${mb} MB verified in ${r.seconds.toFixed(1)} s${o.verifyOnly ? ' (nothing created)' : ''}\n`];
  if (r.restored.length) {
    lines.push(
      table(
        r.restored.map((q) => [
          q.name,
          q.klass,
          q.template,
          q.netvm,
          q.tags.join(',') || '-',
          String(q.firewallRules),
          q.homeBytes === null ? '-' : `${(q.homeBytes / 1e6).toFixed(1)} MB`,
        ]),
        ['QUBE', 'CLASS', 'TEMPLATE', 'NETVM', 'TAGS', 'FW RULES', 'HOME'],
      ),
    );
  }
  for (const q of r.restored) for (const n of q.notes) lines.push(`${q.name}: ${n}\n`);
  for (const s of r.skipped) lines.push(`skipped ${s.name}: ${s.reason}\n`);
  return lines.join('');
}
