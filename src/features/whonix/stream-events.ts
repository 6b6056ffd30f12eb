// tor's STREAM events (control-spec 4.1.2) parsed into records, and which circuits carried whose streams.
import type { ControlReply } from '../../tor-control/index.js';

export interface StreamEvent {
  id: number;
  status: string;
  /** Circuit id; 0 while the stream is not attached. */
  circuit: number;
  target: string;
  /** Extended fields: SOCKS_USERNAME, SESSION_GROUP, CLIENT_PROTOCOL, SOURCE_ADDR, PURPOSE... (quotes removed). */
  fields: Record<string, string>;
}

/** Split `KEY=VALUE KEY="quoted \"value\""` into a map; unquoted words without '=' are ignored. */
export function parseKeyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([A-Z_]+)=(?:"((?:[^"\\]|\\.)*)"|(\S*))/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const key = m[1] as string;
    out[key] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
  }
  return out;
}

/** One `STREAM ID STATUS CIRC TARGET ...` line; null for any other event. */
export function parseStreamEvent(line: string): StreamEvent | null {
  const m = /^STREAM (\d+) ([A-Z]+) (\d+) (\S+)(?: (.*))?$/.exec(line.trim());
  if (!m) return null;
  return { id: Number(m[1]), status: m[2] as string, circuit: Number(m[3]), target: m[4] as string, fields: parseKeyValues(m[5] ?? '') };
}

export function streamEventsOf(reply: ControlReply): StreamEvent[] {
  return reply.lines.map((l) => parseStreamEvent(l.text)).filter((e): e is StreamEvent => e !== null);
}

/** Statuses at which tor has attached a stream to the circuit that carries it. */
const ATTACHED = new Set(['SENTCONNECT', 'SENTRESOLVE', 'SUCCEEDED', 'REMAP']);

/** Circuits that carried streams matching `pick` (only attached streams, circuit ≠ 0). */
export function circuitsOf(events: readonly StreamEvent[], pick: (e: StreamEvent) => boolean): Set<number> {
  const out = new Set<number>();
  for (const e of events) if (ATTACHED.has(e.status) && e.circuit !== 0 && pick(e)) out.add(e.circuit);
  return out;
}

/** Streams that succeeded, of a client protocol (SOCKS5, TRANS, DNS...) and optionally a target pattern. */
export function succeeded(events: readonly StreamEvent[], protocol: string, target?: RegExp): StreamEvent[] {
  return events.filter((e) => e.status === 'SUCCEEDED' && e.fields['CLIENT_PROTOCOL'] === protocol && (!target || target.test(e.target)));
}
