// One audit row as a timeline event: its category, the qubes it joins (source → target), its decision, a one-line message (pure).
import type { AuditEntry } from '../../state/audit.js';

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

const LIFECYCLE = new Set(['qube-created', 'qube-removed', 'qube-cloned', 'qube-started', 'qube-stopped', 'qube-start-failed', 'qube-paused', 'qube-unpaused', 'qube-adopted', 'qube-autostart', 'shutdown-all']);
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
  const base = { seq: r.seq, time: r.time, event: r.event, actor: r.actor, qube: r.qube, detail: d };
  if (r.event.startsWith('rpc-')) {
    const service = str(d.service);
    const arg = str(d.argument);
    const call = service ? `${service}${arg && arg !== '+' ? arg : ''}` : '?';
    const target = str(d.target) ?? str(d.requested);
    const decision = str(d.result) ?? str(d.end) ?? (r.event === 'rpc-ask-answered' ? str((d.answer as { answer?: unknown } | undefined)?.answer) : undefined);
    const category: Category = service === 'qubes.Filecopy' ? 'filecopy' : 'rpc';
    const what = r.event === 'rpc-decision' ? `${decision ?? '?'}` : r.event === 'rpc-call-end' ? `ended (${str(d.end) ?? '?'}, exit ${str(d.exit) ?? '-'})` : r.event.slice(4);
    return { ...base, category, ...(target ? { target } : {}), ...(service ? { service: call } : {}), ...(decision ? { decision } : {}),
      message: `${q} → ${target ?? '?'}: ${call} ${what}` };
  }
  if (r.event.startsWith('clipboard-')) return { ...base, category: 'clipboard', ...(str(d.source) ? { target: r.qube ?? undefined } : {}), message: `${r.event} ${q}${str(d.source) ? ` from ${str(d.source)}` : ''}${str(d.result) ? ` (${str(d.result)})` : ''}` };
  if (r.event === 'qube-exec') return { ...base, category: 'exec', message: `${q}: run ${Array.isArray(d.argv) ? (d.argv as unknown[]).map((x) => str(x)).join(' ') : '?'} as ${str(d.user) ?? '?'}` };
  if (r.event === 'firewall-set') return { ...base, category: 'firewall', message: `${q}: firewall set (${Array.isArray(d.rules) ? d.rules.length : '?'} rules)` };
  if (r.event === 'property-set' || r.event === 'property-reset') {
    const key = str(d.key) ?? '?';
    return { ...base, category: POLICY_PROPS.has(key) ? 'policy' : 'config', message: `${q}: ${key} ${r.event === 'property-set' ? `= ${str(d.value) ?? ''}` : 'reset'}` };
  }
  if (r.event === 'global-set') return { ...base, category: POLICY_PROPS.has(str(d.key) ?? '') ? 'policy' : 'config', message: `global ${str(d.key) ?? '?'} = ${str(d.value) ?? ''}` };
  if (r.event.startsWith('policy')) return { ...base, category: 'policy', message: `${r.event} ${str(d.file) ?? ''}`.trim() };
  if (LIFECYCLE.has(r.event)) {
    const extra = str(d.reason) ?? str(d.result) ?? (r.event === 'qube-created' ? `${str(d.klass) ?? ''} ${str(d.label) ?? ''}`.trim() : r.event === 'qube-cloned' ? `from ${str(d.from) ?? '?'}` : undefined);
    return { ...base, category: 'lifecycle', message: `${q} ${r.event.replace(/^qube-/, '')}${extra ? ` (${extra})` : ''}` };
  }
  if (VOLUME.has(r.event)) return { ...base, category: 'volume', message: `${q} ${r.event}` };
  if (r.event.startsWith('tag-') || r.event.startsWith('feature-')) return { ...base, category: 'config', message: `${q} ${r.event} ${str(d.tag) ?? str(d.key) ?? ''}`.trim() };
  return { ...base, category: 'admin', message: `${r.event}${r.qube ? ` ${r.qube}` : ''}` };
}

/** Plaso/Timesketch's description of what the timestamp means, per event. */
export function timestampDesc(e: TimelineEvent): string {
  const known: Record<string, string> = {
    'qube-created': 'Qube Created', 'qube-removed': 'Qube Removed', 'qube-started': 'Qube Started', 'qube-stopped': 'Qube Stopped',
    'rpc-decision': 'RPC Call Decided', 'rpc-call-end': 'RPC Call Ended', 'rpc-dispvm': 'Disposable Created For RPC', 'firewall-set': 'Firewall Changed',
  };
  return known[e.event] ?? `bulkhead ${e.event}`;
}
