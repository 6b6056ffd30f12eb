// Parsers of tor's `GETINFO circuit-status` and `stream-status` answers (control-spec 4.1.1 / 4.1.2 formats).

export interface CircuitHop {
  fingerprint: string;
  nick?: string;
}

export interface Circuit {
  id: string;
  status: string;
  path: CircuitHop[];
  purpose?: string;
  /** Key=value fields after the path (BUILD_FLAGS, PURPOSE, SOCKS_USERNAME, …), quotes removed. */
  fields: Record<string, string>;
}

export interface Stream {
  id: string;
  status: string;
  circuitId: string;
  target: string;
}

function fields(tokens: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tokens) {
    const eq = t.indexOf('=');
    if (eq <= 0) continue;
    const v = t.slice(eq + 1);
    out[t.slice(0, eq)] = v.startsWith('"') && v.endsWith('"') && v.length >= 2 ? v.slice(1, -1).replace(/\\(.)/g, '$1') : v;
  }
  return out;
}

/** Splits on spaces, keeping "quoted strings" (with \-escapes) whole. */
function tokens(line: string): string[] {
  return line.match(/(?:[^\s"]+|"(?:[^"\\]|\\.)*")+/g) ?? [];
}

export function parseCircuitStatus(text: string): Circuit[] {
  const out: Circuit[] = [];
  for (const line of text.split('\n')) {
    const t = tokens(line.trim());
    const [id, status] = t;
    if (!id || !status) continue;
    const hasPath = t[2]?.startsWith('$') ?? false;
    const path = hasPath
      ? (t[2] ?? '').split(',').map((h): CircuitHop => {
          const m = /^\$([0-9A-Fa-f]{40})(?:[~=](\S+))?$/.exec(h);
          return { fingerprint: (m?.[1] ?? h.replace(/^\$/, '')).toUpperCase(), nick: m?.[2] };
        })
      : [];
    const f = fields(t.slice(hasPath ? 3 : 2));
    out.push({ id, status, path, purpose: f.PURPOSE, fields: f });
  }
  return out;
}

export function parseStreamStatus(text: string): Stream[] {
  const out: Stream[] = [];
  for (const line of text.split('\n')) {
    const [id, status, circuitId, target] = line.trim().split(/\s+/);
    if (id && status && circuitId && target) out.push({ id, status, circuitId, target });
  }
  return out;
}
