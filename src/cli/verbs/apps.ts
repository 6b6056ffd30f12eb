// Verb apps: the desktop applications of a qube's template (what `run --app` starts).
import { apiClient } from '../client.js';

export async function appsVerb(qube: string, o: { all?: boolean; json?: boolean }): Promise<string> {
  const r = await apiClient().call('qubes.apps', { params: { name: qube } });
  const apps = o.all ? r.apps : r.apps.filter((a) => !a.noDisplay);
  if (o.json) return `${JSON.stringify({ ...r, apps }, null, 2)}\n`;
  const w = Math.max(4, ...apps.map((a) => a.id.length));
  const lines = apps.map((a) => `${a.id.padEnd(w)}  ${a.name}${a.noDisplay ? '  (NoDisplay)' : ''}`);
  const skipped = r.skipped.map((s) => `skipped ${s.file}: ${s.why}\n`).join('');
  return `${lines.join('\n')}${lines.length ? '\n' : `no applications in ${r.template}\n`}${skipped ? `\n${skipped}` : ''}`;
}
