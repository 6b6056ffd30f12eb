// RPC ask prompts, shown the moment the event stream announces them: allow to a chosen target, or deny (the semantics of `bulkhead rpc answer`).
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type PendingAsk } from '../api';
import { secondsLeft } from '../format';

function AskCard({ ask, onDone }: { ask: PendingAsk; onDone: (id: string) => void }) {
  const [target, setTarget] = useState(ask.defaultTarget ?? (ask.candidates.length === 1 ? (ask.candidates[0] as string) : ''));
  const [error, setError] = useState<string | null>(null);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(t);
  }, []);
  const answer = async (a: 'allow' | 'deny') => {
    setError(null);
    try {
      await api.answer(ask.id, a, a === 'allow' ? target || undefined : undefined);
      onDone(ask.id);
    } catch (e) {
      setError((e as ApiError).message);
    }
  };
  const left = secondsLeft(ask.expiresAt, now);
  return (
    <div class="ask" data-ask={ask.id} role="dialog" aria-label="RPC ask">
      <div class="ask-head">
        <strong>Operation ask</strong>
        <span class="muted">expires in {left} s</span>
      </div>
      <p>
        <span class="qname">{ask.source}</span> wants to call <span class="mono">{ask.service}</span>
        {ask.argument && ask.argument !== '+' ? (
          <>
            {' '}
            with argument{' '}
            <span class="mono" data-testid="ask-argument">
              {ask.argument}
            </span>
          </>
        ) : null}
        {ask.target ? (
          <>
            {' '}
            on <span class="qname">{ask.target}</span>
          </>
        ) : null}
        .
      </p>
      <label>
        Target
        <select value={target} onChange={(e) => setTarget(e.currentTarget.value)} data-testid="ask-target">
          {!ask.defaultTarget && ask.candidates.length !== 1 ? <option value="">choose a qube…</option> : null}
          {ask.candidates.map((c) => (
            <option key={c} value={c}>
              {c}
              {c === ask.defaultTarget ? ' (default)' : ''}
            </option>
          ))}
        </select>
      </label>
      {error ? <div class="field-error">{error}</div> : null}
      <div class="buttons">
        <button class="danger" onClick={() => void answer('deny')} data-testid="ask-deny">
          Deny
        </button>
        <button class="primary" onClick={() => void answer('allow')} disabled={!target} data-testid="ask-allow">
          Allow
        </button>
      </div>
    </div>
  );
}

export function AskPrompts({ asks, onDone }: { asks: PendingAsk[]; onDone: (id: string) => void }) {
  if (asks.length === 0) return null;
  return (
    <div class="asks" data-testid="asks">
      {asks.map((a) => (
        <AskCard key={a.id} ask={a} onDone={onDone} />
      ))}
    </div>
  );
}
