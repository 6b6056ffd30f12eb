// Every call of the page to the daemon in one place: the session's CSRF token on changes, errors as {code, message, field}, the event stream.

export type PowerState = 'halted' | 'running' | 'paused' | 'starting' | 'stopping' | string;
export interface Qube {
  name: string;
  klass: string;
  qubesClass: string;
  state: PowerState;
  label: string;
  template: string | null;
  netvm: string | null;
  qid: number;
  uuid: string;
  tags: string[];
  features: Record<string, string>;
}
export interface QubeUsage {
  memoryBytes: number | null;
  cpuNs: number | null;
  diskBytes: number | null;
}
export interface Prop {
  name: string;
  value: string | number | boolean | null;
  isDefault: boolean;
  type: string;
}
export interface PendingAsk {
  id: string;
  source: string;
  target: string;
  service: string;
  argument: string;
  candidates: string[];
  defaultTarget: string | null;
  createdAt: string;
  expiresAt: string;
}
export interface AdminEvent {
  event: string;
  time: string;
  data: Record<string, unknown>;
}
export interface AuditEntry {
  seq: number;
  time: string;
  actor: string;
  event: string;
  qube: string | null;
  /** JSON text as it was hashed. */
  detail: string;
}
export interface TorState {
  state: string;
  since: string;
  restarts: number;
  network: string;
}
export interface Gateway {
  name: string;
  network: string;
  bridges: number;
  tor: TorState | null;
}
export interface CheckReport {
  ok: boolean;
  checks: { id: string; title?: string; ok: boolean; detail?: string; [k: string]: unknown }[];
  [k: string]: unknown;
}

/** An answer of the daemon that is not a success; `field` is the part before the first ':' of the message when it names one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field: string | null,
  ) {
    super(message);
  }
}

let csrf = '';

/** Reads the session's CSRF token; false when there is no session (the page shows how to log in). */
export async function openSession(): Promise<boolean> {
  const r = await fetch('/api/session', { credentials: 'same-origin' });
  if (!r.ok) return false;
  csrf = ((await r.json()) as { csrf: string }).csrf;
  return true;
}

const FIELD_RE = /^([a-z_][a-z0-9_.-]{0,40}):\s/i;

async function errorOf(r: Response): Promise<ApiError> {
  let code = 'ERR_HTTP';
  let message = `${r.status} ${r.statusText}`;
  try {
    const b = (await r.json()) as { error?: string; message?: string };
    code = b.error ?? code;
    message = b.message ?? message;
  } catch {
    /* not JSON */
  }
  return new ApiError(r.status, code, message, FIELD_RE.exec(message)?.[1] ?? null);
}

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (method !== 'GET') headers['x-bulkhead-csrf'] = csrf;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(`/api${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  if (!r.ok) throw await errorOf(r);
  return (await r.json()) as T;
}

/** A POST answered with newline-delimited JSON (progress lines, then a result or an error). */
export async function callStream(path: string, body: unknown, onLine: (o: Record<string, unknown>) => void): Promise<void> {
  const r = await fetch(`/api${path}`, {
    method: 'POST',
    headers: { 'x-bulkhead-csrf': csrf, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    credentials: 'same-origin',
  });
  if (!r.ok || !r.body) throw await errorOf(r);
  await readLines(r.body, onLine);
}

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

/** The daemon's event stream, reconnected when it drops; returns a function that ends it. */
export function subscribeEvents(onEvent: (e: AdminEvent) => void, onState: (connected: boolean) => void): () => void {
  let stopped = false;
  let ctl: AbortController | null = null;
  const loop = async () => {
    while (!stopped) {
      ctl = new AbortController();
      try {
        const r = await fetch('/api/events', { signal: ctl.signal, credentials: 'same-origin' });
        if (!r.ok || !r.body) throw await errorOf(r);
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

const q = (s: string) => encodeURIComponent(s);

export const api = {
  qubes: () => call<{ qubes: Qube[] }>('GET', '/qubes').then((r) => r.qubes),
  usage: () => call<{ time: number; qubes: Record<string, QubeUsage> }>('GET', '/usage'),
  templates: () => call<{ templates: { name: string }[] }>('GET', '/templates').then((r) => r.templates),
  create: (b: { name: string; class: string; label: string; template?: string | null; props?: Record<string, string> }) => call<Qube>('POST', '/qubes', b),
  clone: (name: string, to: string) => call<Qube>('POST', `/qubes/${q(name)}/clone`, { name: to }),
  remove: (name: string, withData: boolean) => call<{ removed: string }>('DELETE', `/qubes/${q(name)}${withData ? '?force=true' : ''}`),
  power: (name: string, action: 'start' | 'shutdown' | 'kill' | 'pause' | 'unpause') => call<unknown>('POST', `/qubes/${q(name)}/${action}`, {}),
  prefs: (name: string) => call<{ props: Prop[] }>('GET', `/qubes/${q(name)}/prefs`).then((r) => r.props),
  setPref: (name: string, key: string, value: string) => call<unknown>('PUT', `/qubes/${q(name)}/prefs/${q(key)}`, { value }),
  resetPref: (name: string, key: string) => call<unknown>('DELETE', `/qubes/${q(name)}/prefs/${q(key)}`),
  addTag: (name: string, tag: string) => call<unknown>('PUT', `/qubes/${q(name)}/tags/${q(tag)}`),
  removeTag: (name: string, tag: string) => call<unknown>('DELETE', `/qubes/${q(name)}/tags/${q(tag)}`),
  setFeature: (name: string, key: string, value: string) => call<unknown>('PUT', `/qubes/${q(name)}/features/${q(key)}`, { value }),
  removeFeature: (name: string, key: string) => call<unknown>('DELETE', `/qubes/${q(name)}/features/${q(key)}`),
  firewall: (name: string) =>
    call<{ rules: string[]; attached: { netvm: string; ifname: string; address: string; gateway: string } | null }>('GET', `/qubes/${q(name)}/firewall`),
  firewallAdd: (name: string, rule: string, before?: number) =>
    call<unknown>('POST', `/qubes/${q(name)}/firewall`, before === undefined ? { rule } : { rule, before }),
  firewallDel: (name: string, index: number) => call<unknown>('POST', `/qubes/${q(name)}/firewall/del`, { index }),
  pending: () => call<{ pending: PendingAsk[] }>('GET', '/rpc/pending').then((r) => r.pending),
  answer: (id: string, answer: 'allow' | 'deny', target?: string) => call<unknown>('POST', `/rpc/pending/${q(id)}`, target ? { answer, target } : { answer }),
  audit: (qube?: string) => call<{ entries: AuditEntry[] }>('GET', `/audit?limit=100000${qube ? `&qube=${q(qube)}` : ''}`).then((r) => r.entries),
  verifyAudit: () => call<{ ok: boolean; rows: number; brokenAt?: number; reason?: string }>('GET', '/audit/verify'),
  gateways: () => call<{ gateways: Gateway[] }>('GET', '/gateways').then((r) => r.gateways),
  check: (name: string) => call<CheckReport>('GET', `/qubes/${q(name)}/check`),
  torInfo: (gateway: string) => call<{ progress: number; summary: string; circuits: number }>('GET', `/gateways/${q(gateway)}/tor-info`),
  newnym: (name: string) => call<{ ok: boolean; reply: string; gateway: string }>('POST', `/qubes/${q(name)}/newnym`, {}),
  globals: () => call<{ globals: Record<string, unknown> }>('GET', '/globals').then((r) => r.globals),
};
