// Verb forensics acquire: acquires a qube into a new directory and prints its manifest.
import { resolve } from 'node:path';
import { apiClient } from '../client.js';
import { table } from '../output.js';

export async function acquireVerb(qube: string, o: { out: string; memory: boolean; json?: boolean }): Promise<string> {
  const m = await apiClient().call('forensics.acquire', { params: { name: qube }, body: { out: resolve(o.out), memory: o.memory } });
  if (o.json) return `${JSON.stringify(m, null, 2)}\n`;
  const head =
    `${m.qube.name} (${m.qube.klass}, ${m.qube.state}) acquired by bulkhead ${m.tool.version}, ${m.startedAt} → ${m.finishedAt}` +
    (m.frozenAt ? `; frozen ${m.frozenAt}, thawed ${m.thawedAt}` : '');
  const rows = m.artefacts.map((a) => [a.path, String(a.bytes), a.sha256.slice(0, 16), a.what]);
  return `${head}\n${table(rows, ['ARTEFACT', 'BYTES', 'SHA256', 'WHAT'])}${m.notes.map((n) => `note: ${n}\n`).join('')}manifest: ${resolve(o.out)}/manifest.json (sha256sum -c manifest.sha256)\n`;
}
