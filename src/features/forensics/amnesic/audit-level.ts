// What the audit log keeps of a disposable: at audit_level=minimal its name, times and template, never command lines or RPC arguments (pure).

export type AuditLevel = 'minimal' | 'full';

/**
 * The audit level that governs a name seen in an audit row: a disposable's own, a disposable
 * template's for `@dispvm:TPL`, `minimal` for a bare `@dispvm` (fail closed: which template will
 * be used is not known yet); null for anything that is not a disposable.
 */
export type LevelOf = (name: string) => AuditLevel | null;

/**
 * Fields of a detail that a minimal row keeps: who, which service, which template, and the
 * admin's decision and outcome (policy rule, reason, exit), which an examiner's timeline needs;
 * never the disposable's data (command lines, arguments, sizes, pids).
 */
const KEPT = new Set(['klass', 'template', 'source', 'requested', 'target', 'service', 'result', 'id', 'disposable', 'rule', 'reason', 'exit', 'end']);

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The names a row is about: its qube and, for RPC rows, the source and the (requested) target. */
function namesOf(qube: string | null, detail: unknown): string[] {
  const out = qube ? [qube] : [];
  if (detail !== null && typeof detail === 'object' && !Array.isArray(detail)) {
    const d = detail as Record<string, unknown>;
    for (const k of ['source', 'target', 'requested']) {
      const v = str(d[k]);
      if (v) out.push(v);
    }
  }
  return out;
}

/** The strictest level among the disposables a row is about, or null when it concerns none. */
export function rowLevel(levelOf: LevelOf, qube: string | null, detail: unknown): AuditLevel | null {
  let level: AuditLevel | null = null;
  for (const n of namesOf(qube, detail)) {
    const l = levelOf(n);
    if (l === 'minimal') return 'minimal';
    if (l === 'full') level = 'full';
  }
  return level;
}

/**
 * The detail to store for an audit row. Rows about a disposable at `minimal` keep only the
 * fields in KEPT (a created disposable keeps its template and netvm of its properties) and say
 * `audit: 'minimal'`, so an examiner knows fields were left out on purpose; every other row is
 * returned unchanged. Applying it twice changes nothing.
 */
export function redactAuditDetail(levelOf: LevelOf, event: string, qube: string | null, detail: unknown): unknown {
  if (rowLevel(levelOf, qube, detail) !== 'minimal') return detail;
  const out: Record<string, unknown> = {};
  if (detail !== null && typeof detail === 'object' && !Array.isArray(detail)) {
    const d = detail as Record<string, unknown>;
    // A reason may quote the call (`qubes.Service+ARG`): the argument is cut out of every kept text.
    const arg = typeof d.argument === 'string' && d.argument.length > 1 ? d.argument : null;
    for (const [k, v] of Object.entries(d)) {
      if (!KEPT.has(k)) continue;
      if (typeof v === 'string') out[k] = arg ? v.split(arg).join('+…') : v;
      else if (typeof v === 'boolean' || typeof v === 'number' || v === null) out[k] = v;
    }
    // A created disposable keeps, of its properties, its template and its netvm (whether it had
    // the network, and which: an examiner checks that an anonymous caller's disposable was on Tor).
    const props = d.props;
    if (event === 'qube-created' && props !== null && typeof props === 'object') {
      const p = props as Record<string, unknown>;
      const kept: Record<string, unknown> = {};
      for (const k of ['template', 'netvm']) if (typeof p[k] === 'string' || p[k] === null) kept[k] = p[k];
      out.props = kept;
    }
  }
  out.audit = 'minimal';
  return out;
}
