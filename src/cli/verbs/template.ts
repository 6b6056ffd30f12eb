// Verb template build|import|list: Debian templates made with mmdebstrap, or imported roots.
import { apiClient } from '../client.js';
import { progressReporter } from '../progress.js';
import { table } from '../output.js';

export async function templateVerb(
  action: string,
  name: string | undefined,
  source: string | undefined,
  o: { flavor?: string; refresh?: boolean },
): Promise<string> {
  if (action === 'list') {
    const { templates } = await apiClient().call('templates.list');
    return table(
      templates.map((t) => [t.name, t.label, t.running ? 'running' : 'halted']),
      ['NAME', 'LABEL', 'STATE'],
    );
  }
  if (!name) throw new Error(`template ${action}: give a name`);
  if (action === 'import') {
    if (!source) throw new Error('template import: give a directory or tarball');
    const r = await apiClient().call('templates.import', { body: { name, source } });
    return `imported ${name} in ${r.seconds.toFixed(1)} s\n`;
  }
  if (action !== 'build') throw new Error(`template: unknown action '${action}' (build, import, list)`);
  const progress = progressReporter(process.stderr, `template ${name}`);
  let out = '';
  let err: string | null = null;
  await apiClient().stream('templates.build', { body: { name, flavor: o.flavor, refresh: o.refresh } }, (line) => {
    if ('progress' in line) {
      progress.update(line.progress);
    } else if ('result' in line) {
      const r = line.result;
      out = r.reused ? `template ${name} exists; reused\n` : `built ${name} in ${(r.seconds ?? 0).toFixed(1)} s${r.fromCache ? ' (from cache)' : ''}\n`;
    } else {
      err = line.message;
    }
  });
  progress.stop();
  if (err) throw new Error(err);
  return out;
}
