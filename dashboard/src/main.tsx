// The dashboard page (Qube Manager): session check, the event stream that drives every view, the navigation and the ask prompts.
import { render } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import './style.css';
import { api, openSession, subscribeEvents, type AdminEvent, type PendingAsk, type Qube } from './api';
import { QubesView } from './views/qubes';
import { NetworkView } from './views/network';
import { FirewallView } from './views/firewall';
import { AskPrompts } from './views/asks';
import { EventsView } from './views/events';
import { WhonixView } from './views/whonix';
import { WorkView } from './views/work';
import { WindowsView } from './views/windows';

const TABS = [
  ['qubes', 'Qubes'],
  ['network', 'Network'],
  ['firewall', 'Firewall'],
  ['events', 'Events & audit'],
  ['whonix', 'Whonix'],
  ['work', 'Long work'],
  ['windows', 'Windows'],
] as const;
type Tab = (typeof TABS)[number][0];

export interface LiveEvent extends AdminEvent {
  n: number;
  /** performance.now() when the page received it (the bench reads it). */
  receivedAt: number;
}

const MAX_EVENTS = 500;

function tabFromHash(): Tab {
  const h = location.hash.replace(/^#\/?/, '');
  return (TABS.find(([t]) => t === h)?.[0] ?? 'qubes') as Tab;
}

function App() {
  const [authed, setAuthed] = useState<boolean | null>(null);
  const [tab, setTab] = useState<Tab>(tabFromHash());
  const [qubes, setQubes] = useState<Qube[]>([]);
  const [events, setEvents] = useState<LiveEvent[]>([]);
  const [asks, setAsks] = useState<PendingAsk[]>([]);
  const [connected, setConnected] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const counter = useRef(0);
  const refreshTimer = useRef<number | null>(null);

  const refresh = useCallback(() => {
    api
      .qubes()
      .then((q) => {
        setQubes(q);
        setError(null);
      })
      .catch((e: Error) => setError(e.message));
  }, []);
  const refreshSoon = useCallback(() => {
    if (refreshTimer.current !== null) return;
    refreshTimer.current = window.setTimeout(() => {
      refreshTimer.current = null;
      refresh();
    }, 30);
  }, [refresh]);
  const refreshAsks = useCallback(() => {
    api
      .pending()
      .then(setAsks)
      .catch(() => undefined);
  }, []);

  useEffect(() => {
    const onHash = () => setTab(tabFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    let stop = () => undefined as void;
    void openSession().then((ok) => {
      setAuthed(ok);
      if (!ok) return;
      refresh();
      refreshAsks();
      stop = subscribeEvents(
        (e) => {
          const live: LiveEvent = { ...e, n: ++counter.current, receivedAt: performance.now() };
          if (e.event !== 'connected') setEvents((prev) => [live, ...prev].slice(0, MAX_EVENTS));
          if (e.event === 'rpc-ask') refreshAsks();
          else if (e.event === 'rpc-decided') refreshAsks();
          else if (e.event === 'connected') {
            refresh();
            refreshAsks();
          } else if (typeof e.data.qube === 'string' || e.event === 'global-set') refreshSoon();
        },
        (c) => setConnected(c),
      );
    });
    return () => stop();
  }, [refresh, refreshSoon, refreshAsks]);

  if (authed === null) return <div class="splash">Opening the session…</div>;
  if (!authed)
    return (
      <div class="splash">
        <h1>bulkhead</h1>
        <p>No dashboard session. On the admin host, run</p>
        <pre>bulkhead dashboard url</pre>
        <p>and open the link it prints (it works once, for five minutes).</p>
      </div>
    );

  return (
    <div class="shell">
      <header class="top">
        <span class="brand">bulkhead</span>
        <nav>
          {TABS.map(([t, title]) => (
            <a key={t} href={`#/${t}`} class={t === tab ? 'tab active' : 'tab'} data-tab={t}>
              {title}
              {t === 'events' && events.length > 0 ? <span class="count">{events.length}</span> : null}
            </a>
          ))}
        </nav>
        <span class={connected ? 'live on' : 'live off'} data-testid="live">
          {connected ? 'live' : 'reconnecting'}
        </span>
      </header>
      {error ? <div class="banner error">{error}</div> : null}
      <main>
        {tab === 'qubes' && <QubesView qubes={qubes} onChanged={refresh} />}
        {tab === 'network' && <NetworkView qubes={qubes} />}
        {tab === 'firewall' && <FirewallView qubes={qubes} events={events} />}
        {tab === 'events' && <EventsView qubes={qubes} events={events} />}
        {tab === 'whonix' && <WhonixView qubes={qubes} events={events} />}
        {tab === 'work' && <WorkView qubes={qubes} />}
        {tab === 'windows' && <WindowsView qubes={qubes} />}
      </main>
      <AskPrompts asks={asks} onDone={(id) => setAsks((prev) => prev.filter((a) => a.id !== id))} />
    </div>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
