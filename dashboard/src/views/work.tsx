// Long work with real progress: template builds and backups, their NDJSON progress lines drawn as bars.
import { useState } from 'preact/hooks';
import { callStream, ApiError, type Qube } from '../api';
import { bytes } from '../format';

interface Job {
  id: number;
  title: string;
  phase: string;
  done: number;
  total: number;
  state: 'running' | 'done' | 'failed';
  message: string;
  /** Progress lines received from the daemon. */
  lines: number;
}

/** One line about a finished job: where it went, how much, how long. */
function resultLine(r: Record<string, unknown>): string {
  const parts: string[] = [];
  if (typeof r.file === 'string') parts.push(`written to ${r.file}`);
  if (typeof r.bytes === 'number') parts.push(`${bytes(r.bytes)}`);
  if (typeof r.name === 'string') parts.push(`template ${r.name}${r.reused ? ' (already there)' : r.fromCache ? ' (from the cache)' : ''}`);
  if (typeof r.seconds === 'number') parts.push(`in ${r.seconds.toFixed(1)} s`);
  return parts.length ? parts.join(', ') : JSON.stringify(r);
}

export function WorkView({ qubes }: { qubes: Qube[] }) {
  const [jobs, setJobs] = useState<Job[]>([]);
  const [tpl, setTpl] = useState('debian-12');
  const [file, setFile] = useState('/var/tmp/bulkhead-backup.bhb');
  const [pass, setPass] = useState('');
  const [sel, setSel] = useState<string[]>([]);
  const update = (id: number, j: Partial<Job>) => setJobs((all) => all.map((x) => (x.id === id ? { ...x, ...j } : x)));
  const start = (title: string, path: 'templates.build' | 'backup.create', body: unknown) => {
    const id = Date.now();
    setJobs((all) => [{ id, title, phase: 'starting', done: 0, total: 1, state: 'running', message: '', lines: 0 }, ...all]);
    callStream(path, body, (o) => {
      const p = o.progress as { phase?: string; done?: number; total?: number } | undefined;
      if (p) setJobs((all) => all.map((x) => (x.id === id ? { ...x, phase: p.phase ?? '', done: p.done ?? 0, total: p.total || 1, lines: x.lines + 1 } : x)));
      // The result line ends the work: the bar is full.
      if (o.result)
        setJobs((all) => all.map((x) => (x.id === id ? { ...x, state: 'done', done: x.total, message: resultLine(o.result as Record<string, unknown>) } : x)));
      if (o.error) update(id, { state: 'failed', message: String(o.message ?? o.error) });
    }).catch((e: ApiError) => update(id, { state: 'failed', message: e.message }));
  };
  return (
    <section class="panel">
      <h2>Long work</h2>
      <div class="work-forms">
        <form
          class="card"
          onSubmit={(e) => {
            e.preventDefault();
            start(`template build ${tpl}`, 'templates.build', { name: tpl });
          }}
        >
          <h3>Build a template</h3>
          <input value={tpl} onInput={(e) => setTpl(e.currentTarget.value)} />
          <button class="primary" type="submit">
            Build
          </button>
        </form>
        <form
          class="card"
          onSubmit={(e) => {
            e.preventDefault();
            start(`backup of ${sel.join(', ')}`, 'backup.create', { file, qubes: sel, passphrase: pass });
          }}
        >
          <h3>Back up qubes</h3>
          <select multiple data-testid="backup-qubes" onChange={(e) => setSel([...e.currentTarget.selectedOptions].map((o) => o.value))}>
            {qubes.map((q) => (
              <option key={q.name} value={q.name} selected={sel.includes(q.name)}>
                {q.name}
              </option>
            ))}
          </select>
          <input data-testid="backup-file" value={file} onInput={(e) => setFile(e.currentTarget.value)} placeholder="backup file on the admin host" />
          <input type="password" data-testid="backup-pass" value={pass} onInput={(e) => setPass(e.currentTarget.value)} placeholder="passphrase" />
          <button class="primary" type="submit" disabled={sel.length === 0 || !pass} data-testid="backup-go">
            Back up
          </button>
        </form>
      </div>
      <h3>Jobs</h3>
      {jobs.length === 0 ? <p class="muted">Work started here shows its progress below.</p> : null}
      {jobs.map((j) => (
        <div class="job" key={j.id} data-job-state={j.state} data-progress-lines={j.lines}>
          <div class="toolbar">
            <strong>{j.title}</strong>
            <span class="muted">{j.phase}</span>
            <span class="grow" />
            <span class={`state state-${j.state}`}>{j.state === 'running' ? `${Math.floor((j.done / j.total) * 100)} %` : j.state}</span>
          </div>
          <progress max={j.total} value={j.done} />
          {j.message ? <div class={j.state === 'failed' ? 'field-error' : 'muted mono'}>{j.message}</div> : null}
        </div>
      ))}
    </section>
  );
}
