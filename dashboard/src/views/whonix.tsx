// Whonix: each gateway's Tor state and its workstations, with `check` per workstation and its results.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type CheckReport, type Gateway, type Qube } from '../api';
import type { LiveEvent } from '../main';
import { clock, labelClass } from '../format';

function Workstation({ q }: { q: Qube }) {
  const [report, setReport] = useState<CheckReport | null>(null);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [nym, setNym] = useState<string | null>(null);
  const newnym = async () => {
    setError(null);
    setNym(null);
    try {
      const r = await api.newnym(q.name);
      if (r.ok) setNym('New Identity: tor will use new circuits for new connections');
      else setError(`New Identity refused: ${r.reply}`);
    } catch (e) {
      setError((e as ApiError).message);
    }
  };
  const run = async () => {
    setRunning(true);
    setError(null);
    try {
      setReport(await api.check(q.name));
    } catch (e) {
      setError((e as ApiError).message);
    } finally {
      setRunning(false);
    }
  };
  return (
    <div class="ws">
      <div class="toolbar">
        <span class={`dot ${labelClass(q.label)}`} />
        <span class="qname">{q.name}</span>
        <span class="muted">{q.state}</span>
        <span class="grow" />
        <button onClick={() => void newnym()} disabled={q.state !== 'running'}>
          New Identity
        </button>
        <button onClick={() => void run()} disabled={running || q.state !== 'running'}>
          {running ? 'Checking…' : 'Check'}
        </button>
      </div>
      {error ? <div class="field-error">{error}</div> : null}
      {nym ? <div class="muted">{nym}</div> : null}
      {report ? (
        <ul class="checks">
          {report.checks.map((c) => (
            <li key={c.id} class={c.ok ? 'pass' : 'fail'}>
              <span>{c.ok ? '✔' : '✘'}</span> {c.title ?? c.id} <span class="muted">{c.detail ?? ''}</span>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

function TorProgress({ gateway, running, tick }: { gateway: string; running: boolean; tick: number }) {
  const [info, setInfo] = useState<{ progress: number; summary: string; circuits: number } | null>(null);
  useEffect(() => {
    if (!running) return setInfo(null);
    api
      .torInfo(gateway)
      .then(setInfo)
      .catch(() => setInfo(null));
  }, [gateway, running, tick]);
  if (!info) return null;
  return (
    <div class="tor-progress">
      <progress max={100} value={info.progress} />
      <span class="muted">
        bootstrap {info.progress} % {info.summary ? `(${info.summary})` : ''} · {info.circuits} circuits built
      </span>
    </div>
  );
}

export function WhonixView({ qubes, events }: { qubes: Qube[]; events: LiveEvent[] }) {
  const [gateways, setGateways] = useState<Gateway[]>([]);
  const [error, setError] = useState<string | null>(null);
  const torEvents = events.filter((e) => e.event.startsWith('gateway-')).length;
  useEffect(() => {
    api
      .gateways()
      .then(setGateways)
      .catch((e: ApiError) => setError(e.message));
  }, [torEvents, qubes.map((q) => q.state).join()]);
  return (
    <section class="panel">
      <h2>Whonix gateways</h2>
      {error ? <div class="banner error">{error}</div> : null}
      {gateways.length === 0 ? <p class="muted">No Tor gateway. `bulkhead init --whonix` makes sys-whonix and anon-whonix.</p> : null}
      {gateways.map((g) => (
        <div class="gateway" key={g.name}>
          <div class="toolbar">
            <h3>{g.name}</h3>
            <span class="muted">network {g.network}</span>
            <span class="muted">{g.bridges} bridges</span>
            <span class={`tor tor-${g.tor?.state ?? 'stopped'}`}>tor {g.tor ? g.tor.state : 'not running'}</span>
            {g.tor ? (
              <span class="muted">
                since {clock(g.tor.since)} · {g.tor.restarts} restarts
              </span>
            ) : null}
          </div>
          <TorProgress gateway={g.name} running={!!g.tor} tick={torEvents} />
          {qubes
            .filter((q) => q.netvm === g.name)
            .map((q) => (
              <Workstation key={q.name} q={q} />
            ))}
        </div>
      ))}
    </section>
  );
}
