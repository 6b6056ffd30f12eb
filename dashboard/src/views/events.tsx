// Live events from the stream and the audit timeline, filterable by qube, with the hash chain's check.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type AuditEntry, type Qube } from '../api';
import type { LiveEvent } from '../main';
import { clock } from '../format';

/** One line of an event's data, as text. */
const summary = (d: Record<string, unknown>): string =>
  Object.entries(d)
    .filter(([k]) => k !== 'qube')
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('  ');

export function EventsView({ qubes, events }: { qubes: Qube[]; events: LiveEvent[] }) {
  const [qube, setQube] = useState('');
  const [audit, setAudit] = useState<AuditEntry[]>([]);
  const [verify, setVerify] = useState<{ ok: boolean; rows: number; brokenAt?: number; reason?: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  // The audit log is read again a moment after events stop arriving, not once per event: a burst of
  // events must not turn into a burst of audit reads competing with the stream.
  useEffect(() => {
    const t = window.setTimeout(
      () =>
        void api
          .audit(qube || undefined)
          .then((a) => setAudit(a.slice(-300).reverse()))
          .catch((e: ApiError) => setError(e.message)),
      audit.length === 0 ? 0 : 400,
    );
    return () => window.clearTimeout(t);
  }, [qube, events.length]);
  const live = events.filter((e) => !qube || e.data.qube === qube || e.data.source === qube || e.data.target === qube);
  const check = () =>
    void api
      .verifyAudit()
      .then(setVerify)
      .catch((e: ApiError) => setError(e.message));
  return (
    <div class="two-col">
      <section class="panel">
        <div class="toolbar">
          <h2>Live events</h2>
          <select value={qube} onChange={(e) => setQube(e.currentTarget.value)} data-testid="events-qube">
            <option value="">all qubes</option>
            {qubes.map((q) => (
              <option key={q.name} value={q.name}>
                {q.name}
              </option>
            ))}
          </select>
        </div>
        <ol class="events" data-testid="events">
          {live.map((e) => (
            <li key={e.n} data-event={e.event} data-time={e.time}>
              <span class="time">{clock(e.time)}</span>
              <span class={`ev ev-${e.event.split('-')[0]}`}>{e.event}</span>
              {typeof e.data.qube === 'string' ? <span class="qname">{e.data.qube}</span> : null}
              <span class="mono muted">{summary(e.data)}</span>
            </li>
          ))}
          {live.length === 0 ? <li class="muted">nothing yet: events appear here as they happen</li> : null}
        </ol>
      </section>
      <section class="panel">
        <div class="toolbar">
          <h2>Audit log</h2>
          <span class="grow" />
          <button onClick={check} data-testid="verify-chain">
            Verify the chain
          </button>
        </div>
        {verify ? (
          <div class={verify.ok ? 'banner ok' : 'banner error'} data-testid="verify-result">
            {verify.ok ? `chain intact: ${verify.rows} rows, every hash and link matches` : `chain broken at row ${verify.brokenAt}: ${verify.reason}`}
          </div>
        ) : null}
        {error ? <div class="banner error">{error}</div> : null}
        <ol class="events audit" data-testid="audit">
          {audit.map((a) => (
            <li key={a.seq}>
              <span class="num muted">#{a.seq}</span>
              <span class="time">{clock(a.time)}</span>
              <span class="ev">{a.event}</span>
              {a.qube ? <span class="qname">{a.qube}</span> : null}
              <span class="muted">{a.actor}</span>
              <span class="mono muted">{a.detail === '{}' ? '' : a.detail}</span>
            </li>
          ))}
        </ol>
      </section>
    </div>
  );
}
