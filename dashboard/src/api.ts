// Every call of the page to the daemon in one place, through the API contract's typed client (src/contract): the session's CSRF token on each request, errors naming their field, the event and progress streams.
import { ApiError, createClient, fetchTransport, requestPath, routes, errorOf } from '../../src/contract/index';
import type { PropView, QubeView } from '../../src/contract/index';
import type { AuditEntry, AuditVerification, QubeUsage } from '../../src/contract/system';
import type { CheckReport, GatewayView } from '../../src/contract/whonix';
import type { PendingAsk } from '../../src/contract/rpc';

export { ApiError };
export type Qube = QubeView;
export type Prop = PropView;
export type Gateway = GatewayView;
export type { AuditEntry, CheckReport, PendingAsk, QubeUsage, AuditVerification };

export interface AdminEvent {
  event: string;
  time: string;
  data: Record<string, unknown>;
}

let csrf = '';
const headers = () => ({ 'x-bulkhead-csrf': csrf });
const client = createClient(routes, fetchTransport({ base: '/api', headers }));

/** Reads the session's CSRF token; false when there is no session (the page shows how to log in). */
export async function openSession(): Promise<boolean> {
  const r = await fetch('/api/session', { credentials: 'same-origin' });
  if (!r.ok) return false;
  csrf = ((await r.json()) as { csrf: string }).csrf;
  return true;
}

/** The field an error is about: the daemon's own `field`, else the name before the message's first ':'. */
export function fieldOf(e: unknown): string | null {
  if (!(e instanceof ApiError)) return null;
  return e.field ?? /^([a-z_][a-z0-9_.-]{0,40}):\s/i.exec(e.message)?.[1] ?? null;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
export { message as errorMessage };

async function readLines(body: ReadableStream<Uint8Array>, onLine: (o: Record<string, unknown>) => void): Promise<void> {
  const reader = body.getReader();
  const dec = new TextDecoder();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += dec.decode(value, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.trim()) onLine(JSON.parse(line) as Record<string, unknown>);
    }
  }
}

async function failure(r: Response): Promise<ApiError> {
  const text = await r.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* text */
  }
  return errorOf(r.status, body);
}

/** An NDJSON route of the contract (progress lines, then a result or an error), POSTed with the CSRF token. */
export async function callStream(name: 'templates.build' | 'backup.create', body: unknown, onLine: (o: Record<string, unknown>) => void): Promise<void> {
  const r = await fetch(`/api${requestPath(routes[name], {})}`, {
    method: routes[name].method,
    headers: { ...headers(), 'content-type': 'application/json' },
    body: JSON.stringify(body),
    credentials: 'same-origin',
  });
  if (!r.ok || !r.body) throw await failure(r);
  await readLines(r.body, onLine);
}

/** The daemon's event stream (the contract's `events`), reconnected when it drops; returns a function that ends it. */
export function subscribeEvents(onEvent: (e: AdminEvent) => void, onState: (connected: boolean) => void): () => void {
  let stopped = false;
  let ctl: AbortController | null = null;
  const loop = async () => {
    while (!stopped) {
      ctl = new AbortController();
      try {
        const r = await fetch(`/api${routes.events.path}`, { signal: ctl.signal, credentials: 'same-origin' });
        if (!r.ok || !r.body) throw await failure(r);
        onState(true);
        await readLines(r.body, (o) => onEvent(o as unknown as AdminEvent));
      } catch {
        /* dropped: try again */
      }
      onState(false);
      if (!stopped) await new Promise((res) => setTimeout(res, 1000));
    }
  };
  void loop();
  return () => {
    stopped = true;
    ctl?.abort();
  };
}

const name = (n: string) => ({ name: n });

export const api = {
  qubes: () => client.call('qubes.list').then((r) => r.qubes),
  usage: () => client.call('usage'),
  create: (body: { name: string; class: string; label: string; template?: string | null; props?: Record<string, string> }) =>
    client.call('qubes.create', { body }),
  clone: (n: string, to: string) => client.call('qubes.clone', { params: name(n), body: { name: to } }),
  remove: (n: string, withData: boolean) => client.call('qubes.remove', { params: name(n), query: withData ? { force: 'true' } : {} }),
  power: (n: string, action: 'start' | 'shutdown' | 'kill' | 'pause' | 'unpause') => client.call(`qubes.${action}`, { params: name(n), body: {} } as never),
  prefs: (n: string) => client.call('prefs.list', { params: name(n) }).then((r) => r.props),
  setPref: (n: string, key: string, value: string) => client.call('prefs.set', { params: { name: n, key }, body: { value } }),
  resetPref: (n: string, key: string) => client.call('prefs.reset', { params: { name: n, key } }),
  addTag: (n: string, tag: string) => client.call('tags.add', { params: { name: n, tag } }),
  removeTag: (n: string, tag: string) => client.call('tags.remove', { params: { name: n, tag } }),
  setFeature: (n: string, key: string, value: string) => client.call('features.set', { params: { name: n, key }, body: { value } }),
  removeFeature: (n: string, key: string) => client.call('features.remove', { params: { name: n, key } }),
  firewall: (n: string) => client.call('firewall.list', { params: name(n) }),
  firewallAdd: (n: string, rule: string, before?: number) =>
    client.call('firewall.add', { params: name(n), body: before === undefined ? { rule } : { rule, before } }),
  firewallDel: (n: string, index: number) => client.call('firewall.del', { params: name(n), body: { index } }),
  pending: () => client.call('rpc.pending').then((r) => r.pending),
  answer: (id: string, answer: 'allow' | 'deny', target?: string) =>
    client.call('rpc.answer', { params: { id }, body: target ? { answer, target } : { answer } }),
  audit: (qube?: string) => client.call('audit.list', { query: { limit: 100000, ...(qube ? { qube } : {}) } }).then((r) => r.entries),
  verifyAudit: () => client.call('audit.verify'),
  gateways: () => client.call('gateways.list').then((r) => r.gateways),
  torInfo: (gateway: string) => client.call('gateways.tor-info', { params: name(gateway) }),
  check: (n: string) => client.call('qubes.check', { params: name(n) }),
  newnym: (n: string) => client.call('qubes.newnym', { params: name(n) }),
  clipboardCopy: (qube: string) => client.call('clipboard.copy', { body: { qube } }),
  clipboardPaste: (qube: string) => client.call('clipboard.paste', { body: { qube } }),
  display: (n: string) => client.call('qubes.display', { params: name(n), body: {} } as never),
};
