// Verb template build|import|list: Debian templates made with mmdebstrap, or imported roots.
import cliProgress from 'cli-progress';
import { apiClient, streamNdjson } from '../client.js';
import { table } from '../output.js';

interface Progress { phase: string; done: number; total: number }

export async function templateVerb(action: string, name: string | undefined, source: string | undefined, o: { flavor?: string; refresh?: boolean }): Promise<string> {
  if (action === 'list') {
    const { templates } = await apiClient().request<{ templates: { name: string; label: string; running: boolean }[] }>('GET', '/templates');
    return table(templates.map((t) => [t.name, t.label, t.running ? 'running' : 'halted']), ['NAME', 'LABEL', 'STATE']);
  }
  if (!name) throw new Error(`template ${action}: give a name`);
  if (action === 'import') {
    if (!source) throw new Error('template import: give a directory or tarball');
    const r = await apiClient().request<{ seconds: number }>('POST', '/templates/import', { name, source });
    return `imported ${name} in ${r.seconds.toFixed(1)} s\n`;
  }
  if (action !== 'build') throw new Error(`template: unknown action '${action}' (build, import, list)`);
  const tty = process.stderr.isTTY;
  const bar = tty ? new cliProgress.SingleBar({ format: ' {bar} {percentage}% | {phase}', clearOnComplete: false }, cliProgress.Presets.shades_classic) : null;
  let started = false;
  let lastPhase = '';
  let out = '';
  let err: string | null = null;
  await streamNdjson('/templates/build', { name, flavor: o.flavor, refresh: o.refresh }, (line) => {
    if (line.progress) {
      const p = line.progress as Progress;
      if (bar) {
        if (!started) { bar.start(p.total, p.done, { phase: p.phase }); started = true; }
        bar.update(p.done, { phase: p.phase });
      } else if (p.phase !== lastPhase) {
        process.stderr.write(`template ${name}: ${p.phase} (${Math.round((100 * p.done) / Math.max(1, p.total))}%)\n`);
      }
      lastPhase = p.phase;
    } else if (line.result) {
      const r = line.result as { reused: boolean; fromCache?: boolean; seconds?: number };
      out = r.reused ? `template ${name} exists; reused\n` : `built ${name} in ${(r.seconds ?? 0).toFixed(1)} s${r.fromCache ? ' (from cache)' : ''}\n`;
    } else if (line.error) {
      err = String(line.message);
    }
  });
  bar?.stop();
  if (err) throw new Error(err);
  return out;
}
