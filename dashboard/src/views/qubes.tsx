// The qubes table (Qube Manager's main view): sort, filter, power actions, usage now; a selected qube opens its details.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, ApiError, type Qube, type QubeUsage } from '../api';
import { bytes, labelClass, percent } from '../format';
import { CreateDialog } from './create';
import { QubeDetail } from './qube-detail';

type SortKey = 'name' | 'klass' | 'state' | 'label' | 'template' | 'netvm' | 'memory' | 'cpu' | 'disk';
const COLUMNS: [SortKey, string][] = [
  ['name', 'Name'],
  ['klass', 'Class'],
  ['state', 'State'],
  ['template', 'Template'],
  ['netvm', 'NetVM'],
  ['memory', 'Memory'],
  ['cpu', 'CPU'],
  ['disk', 'Disk'],
];

const NUMERIC: SortKey[] = ['memory', 'cpu', 'disk'];

interface Usage extends QubeUsage {
  cpuPercent: number | null;
}

/** Memory and CPU now: /usage every 2 s while the table is shown; CPU % from the last two samples. */
function useUsage(): Record<string, Usage> {
  const [usage, setUsage] = useState<Record<string, Usage>>({});
  const last = useRef<{ time: number; cpu: Record<string, number | null> } | null>(null);
  useEffect(() => {
    let alive = true;
    const tick = async () => {
      try {
        const u = await api.usage();
        if (!alive) return;
        const prev = last.current;
        const out: Record<string, Usage> = {};
        for (const [n, v] of Object.entries(u.qubes)) {
          const p = prev?.cpu[n];
          const dt = prev ? (u.time - prev.time) * 1e6 : 0;
          out[n] = { ...v, cpuPercent: v.cpuNs !== null && p !== null && p !== undefined && dt > 0 ? Math.max(0, ((v.cpuNs - p) / dt) * 100) : null };
        }
        last.current = { time: u.time, cpu: Object.fromEntries(Object.entries(u.qubes).map(([n, v]) => [n, v.cpuNs])) };
        setUsage(out);
      } catch {
        /* shown as dashes */
      }
    };
    void tick();
    const t = window.setInterval(() => void tick(), 2000);
    return () => {
      alive = false;
      window.clearInterval(t);
    };
  }, []);
  return usage;
}

function sortValue(q: Qube, u: Usage | undefined, k: SortKey): string | number {
  if (k === 'memory') return u?.memoryBytes ?? -1;
  if (k === 'cpu') return u?.cpuPercent ?? -1;
  if (k === 'disk') return u?.diskBytes ?? -1;
  return String(q[k] ?? '');
}

export function QubesView({ qubes, onChanged }: { qubes: Qube[]; onChanged: () => void }) {
  const usage = useUsage();
  const [filter, setFilter] = useState('');
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: 'name', desc: false });
  const [selected, setSelected] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [busy, setBusy] = useState<Record<string, string>>({});
  const [flash, setFlash] = useState<string | null>(null);

  const rows = useMemo(() => {
    const f = filter.trim().toLowerCase();
    const list = qubes.filter(
      (q) => !f || [q.name, q.klass, q.state, q.label, q.template ?? '', q.netvm ?? '', ...q.tags].some((s) => s.toLowerCase().includes(f)),
    );
    const dir = sort.desc ? -1 : 1;
    return list.sort((a, b) => {
      const x = sortValue(a, usage[a.name], sort.key);
      const y = sortValue(b, usage[b.name], sort.key);
      return (x < y ? -1 : x > y ? 1 : a.name.localeCompare(b.name)) * dir;
    });
  }, [qubes, usage, filter, sort]);

  const act = async (q: Qube, action: 'start' | 'shutdown' | 'kill' | 'pause' | 'unpause') => {
    setBusy((b) => ({ ...b, [q.name]: action }));
    setFlash(null);
    try {
      await api.power(q.name, action);
    } catch (e) {
      setFlash(`${action} ${q.name}: ${(e as ApiError).message}`);
    } finally {
      setBusy((b) => {
        const { [q.name]: _, ...rest } = b;
        return rest;
      });
      onChanged();
    }
  };

  const running = qubes.filter((q) => q.state === 'running').length;
  const sel = qubes.find((q) => q.name === selected) ?? null;

  return (
    <div class={sel ? 'split' : ''}>
      <section class="panel">
        <div class="toolbar">
          <input
            class="search"
            type="search"
            placeholder="Filter by name, class, label, tag…"
            value={filter}
            onInput={(e) => setFilter(e.currentTarget.value)}
            data-testid="filter"
          />
          <span class="muted">
            {rows.length} of {qubes.length} qubes · {running} running
          </span>
          <span class="grow" />
          <button class="primary" onClick={() => setCreating(true)} data-testid="new-qube">
            New qube
          </button>
        </div>
        {flash ? <div class="banner error">{flash}</div> : null}
        <table class="qubes" data-testid="qubes-table">
          <thead>
            <tr>
              <th class="lbl" />
              {COLUMNS.map(([k, title]) => (
                <th
                  key={k}
                  class={`sortable${sort.key === k ? ' sorted' : ''}${NUMERIC.includes(k) ? ' num' : ''}`}
                  onClick={() => setSort((s) => ({ key: k, desc: s.key === k ? !s.desc : false }))}
                >
                  {title}
                  {sort.key === k ? (sort.desc ? ' ▾' : ' ▴') : ''}
                </th>
              ))}
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((q) => {
              const u = usage[q.name];
              const b = busy[q.name];
              return (
                <tr
                  key={q.name}
                  class={q.name === selected ? 'selected' : ''}
                  data-qube={q.name}
                  onClick={() => setSelected(q.name === selected ? null : q.name)}
                >
                  <td class="lbl">
                    <span class={`dot ${labelClass(q.label)}`} title={q.label} data-label={q.label} />
                  </td>
                  <td class="name">{q.name}</td>
                  <td>{q.klass}</td>
                  <td>
                    <span class={`state state-${q.state}`} data-testid="state">
                      {b ? `${b}…` : q.state}
                    </span>
                  </td>
                  <td>{q.template ?? '–'}</td>
                  <td>{q.netvm ?? 'none'}</td>
                  <td class="num">{bytes(u?.memoryBytes)}</td>
                  <td class="num">{percent(u?.cpuPercent)}</td>
                  <td class="num">{bytes(u?.diskBytes)}</td>
                  <td class="actions" onClick={(e) => e.stopPropagation()}>
                    {q.state === 'halted' ? (
                      <button disabled={!!b} onClick={() => void act(q, 'start')}>
                        Start
                      </button>
                    ) : null}
                    {q.state === 'running' ? (
                      <>
                        <button disabled={!!b} onClick={() => void act(q, 'shutdown')}>
                          Shut down
                        </button>
                        <button disabled={!!b} onClick={() => void act(q, 'pause')}>
                          Pause
                        </button>
                      </>
                    ) : null}
                    {q.state === 'paused' ? (
                      <button disabled={!!b} onClick={() => void act(q, 'unpause')}>
                        Resume
                      </button>
                    ) : null}
                    {q.state !== 'halted' ? (
                      <button class="danger" disabled={!!b} onClick={() => void act(q, 'kill')}>
                        Kill
                      </button>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {rows.length === 0 ? <p class="empty">No qube matches.</p> : null}
      </section>
      {sel ? <QubeDetail key={sel.name} qube={sel} qubes={qubes} onClose={() => setSelected(null)} onChanged={onChanged} /> : null}
      {creating ? (
        <CreateDialog
          qubes={qubes}
          onClose={() => setCreating(false)}
          onCreated={(n) => {
            setCreating(false);
            setSelected(n);
            onChanged();
          }}
        />
      ) : null}
    </div>
  );
}
