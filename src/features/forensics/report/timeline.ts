// One audit row as a timeline event: its category, the qubes it joins (source → target), its decision, a one-line message (pure).
import type { AuditEntry } from '../../../state/audit.js';

export type Category = 'lifecycle' | 'rpc' | 'filecopy' | 'clipboard' | 'exec' | 'firewall' | 'policy' | 'config' | 'volume' | 'admin';

export interface TimelineEvent {
  seq: number;
  time: string;
  event: string;
  actor: string;
  category: Category;
  /** The qube the row is about (for RPC: the caller). */
  qube: string | null;
  /** RPC only: the qube the call went to (or was asked for). */
  target?: string;
  service?: string;
  decision?: string;
  message: string;
  /** The row's detail as stored (JSON text parsed; the text itself when it does not parse). */
  detail: unknown;
}

const LIFECYCLE = new Set([
  'qube-created',
  'qube-removed',
  'qube-cloned',
  'qube-started',
  'qube-stopped',
  'qube-start-failed',
  'qube-paused',
  'qube-unpaused',
  'qube-adopted',
  'qube-autostart',
  'shutdown-all',
]);
const VOLUME = new Set(['volume-reverted', 'volume-resized', 'template-built', 'template-imported', 'template-root-committed', 'template-root-commit-failed']);
/** Properties that change who a qube talks to (Qubes: netvm, default_dispvm...). */
const POLICY_PROPS = new Set(['netvm', 'default_dispvm', 'template_for_dispvms', 'provides_network']);

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : v === null || v === undefined ? undefined : JSON.stringify(v));

function parseDetail(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v };
  } catch {
    return { unparsed: text };
  }
}

export function toEvent(r: AuditEntry): TimelineEvent {
  const d = parseDetail(r.detail);
  const q = r.qube ?? '-';
  // One object shape for every event (no spreads): a million rows go through here.
  const e: TimelineEvent = {
    seq: r.seq,
    time: r.time,
    event: r.event,
    actor: r.actor,
    category: 'admin',
    qube: r.qube,
    target: undefined,
    service: undefined,
    decision: undefined,
    message: '',
    detail: d,
  };
  const ev = r.event;
  if (ev.startsWith('rpc-')) {
    const service = str(d.service);
    const arg = str(d.argument);
    const call = service ? (arg && arg !== '+' ? service + arg : service) : '?';
    const target = str(d.target) ?? str(d.requested);
    const decision = str(d.result) ?? str(d.end) ?? (ev === 'rpc-ask-answered' ? str((d.answer as { answer?: unknown } | undefined)?.answer) : undefined);
    e.category = service === 'qubes.Filecopy' ? 'filecopy' : 'rpc';
    e.target = target;
    e.service = service ? call : undefined;
    e.decision = decision;
    const what = ev === 'rpc-decision' ? (decision ?? '?') : ev === 'rpc-call-end' ? `ended (${str(d.end) ?? '?'}, exit ${str(d.exit) ?? '-'})` : ev.slice(4);
    e.message = `${q} → ${target ?? '?'}: ${call} ${what}`;
  } else if (ev.startsWith('clipboard-')) {
    const source = str(d.source);
    e.category = 'clipboard';
    e.message = `${ev} ${q}${source ? ` from ${source}` : ''}${str(d.result) ? ` (${str(d.result)})` : ''}`;
  } else if (ev === 'qube-exec') {
    e.category = 'exec';
    e.message = `${q}: run ${Array.isArray(d.argv) ? (d.argv as unknown[]).map((x) => str(x)).join(' ') : '?'} as ${str(d.user) ?? '?'}`;
  } else if (ev === 'firewall-set') {
    e.category = 'firewall';
    e.message = `${q}: firewall set (${Array.isArray(d.rules) ? d.rules.length : '?'} rules)`;
  } else if (ev === 'property-set' || ev === 'property-reset') {
    const key = str(d.key) ?? '?';
    e.category = POLICY_PROPS.has(key) ? 'policy' : 'config';
    e.message = `${q}: ${key} ${ev === 'property-set' ? `= ${str(d.value) ?? ''}` : 'reset'}`;
  } else if (ev === 'global-set') {
    e.category = POLICY_PROPS.has(str(d.key) ?? '') ? 'policy' : 'config';
    e.message = `global ${str(d.key) ?? '?'} = ${str(d.value) ?? ''}`;
  } else if (ev.startsWith('policy')) {
    e.category = 'policy';
    e.message = `${ev} ${str(d.file) ?? ''}`.trim();
  } else if (LIFECYCLE.has(ev)) {
    const extra =
      str(d.reason) ??
      str(d.result) ??
      (ev === 'qube-created' ? `${str(d.klass) ?? ''} ${str(d.label) ?? ''}`.trim() : ev === 'qube-cloned' ? `from ${str(d.from) ?? '?'}` : undefined);
    e.category = 'lifecycle';
    e.message = `${q} ${ev.startsWith('qube-') ? ev.slice(5) : ev}${extra ? ` (${extra})` : ''}`;
  } else if (VOLUME.has(ev)) {
    e.category = 'volume';
    e.message = `${q} ${ev}`;
  } else if (ev.startsWith('tag-') || ev.startsWith('feature-')) {
    e.category = 'config';
    e.message = `${q} ${ev} ${str(d.tag) ?? str(d.key) ?? ''}`.trim();
  } else {
    e.message = r.qube ? `${ev} ${r.qube}` : ev;
  }
  return e;
}

/** Plaso/Timesketch's description of what the timestamp means, per event. */
const DESC: Record<string, string> = {
  'qube-created': 'Qube Created',
  'qube-removed': 'Qube Removed',
  'qube-started': 'Qube Started',
  'qube-stopped': 'Qube Stopped',
  'rpc-decision': 'RPC Call Decided',
  'rpc-call-end': 'RPC Call Ended',
  'rpc-dispvm': 'Disposable Created For RPC',
  'firewall-set': 'Firewall Changed',
};

export function timestampDesc(e: TimelineEvent): string {
  return DESC[e.event] ?? `bulkhead ${e.event}`;
}
