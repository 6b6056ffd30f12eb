// The report as plain text and as JSON / JSON lines (Timesketch's import fields), written in chunks (pure).
import type { ChainResult } from './chain.js';
import type { QubeInventory } from './inventory.js';
import type { ReportHeader, ReportSummary } from './report.js';
import { timestampDesc, type TimelineEvent } from './timeline.js';

export function chainText(c: ChainResult): string {
  let s = c.ok
    ? `audit chain verified: ${c.rows} rows, head ${c.head}\n`
    : c.brokenAt !== undefined
      ? `audit chain BROKEN at row ${c.brokenAt}: ${c.reason} (${c.rows} rows read)\n`
      : `audit chain intact: ${c.rows} rows, head ${c.head}\n`;
  if (c.anchor)
    s += c.anchor.ok ? `anchor ${c.anchor.hash}:${c.anchor.length} holds\n` : `anchor ${c.anchor.hash}:${c.anchor.length} FAILS: ${c.anchor.reason}\n`;
  return s;
}

const size = (n: number): string =>
  n >= 1 << 30 ? `${(n / (1 << 30)).toFixed(1)}G` : n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)}M` : n >= 1024 ? `${(n / 1024).toFixed(1)}K` : `${n}B`;

export function inventoryText(inv: readonly QubeInventory[], removed: readonly string[]): string {
  let s = 'qubes:\n';
  for (const q of inv) {
    const vols = q.volumes
      .filter((v) => v.kind !== 'absent')
      .map((v) => `${v.volume} ${v.kind} ${size(v.bytes)}${v.truncated ? '+' : ''}`)
      .join(', ');
    s += `  ${q.name} ${q.klass} ${q.label} template=${q.template ?? '-'} netvm=${q.netvm ?? '(default)'} created=${q.created} last-started=${q.lastStarted ?? '-'} ${q.power}${vols ? `; ${vols}` : '; no volume files in this copy'}; revisions ${q.revisions}\n`;
  }
  if (removed.length) s += `removed qubes seen in the audit log: ${removed.join(', ')}\n`;
  return s;
}

export function eventLine(e: TimelineEvent): string {
  return `${e.time} #${e.seq} [${e.category}] ${e.message.replace(/[\x00-\x1f\x7f]/g, '?')}\n`;
}

export function headerText(h: ReportHeader): string {
  return `bulkhead examiner's report of ${h.stateDir}, made ${h.generatedAt} by ${h.tool}\n${h.files.map((f) => `  ${f.path} ${f.bytes} bytes sha256 ${f.sha256}\n`).join('')}`;
}

/** The JSON document, split so the timeline can stream: open, one element per event, close. */
export const json = {
  open: (h: ReportHeader): string => `{"header":${JSON.stringify(h)},"timeline":[\n`,
  event: (e: TimelineEvent, first: boolean): string => `${first ? '' : ',\n'}${JSON.stringify(e)}`,
  close: (s: ReportSummary): string =>
    `\n],"inventory":${JSON.stringify(s.inventory)},"removedQubes":${JSON.stringify(s.removed)},"chain":${JSON.stringify(s.chain)}}\n`,
};

/** One Timesketch/plaso line: message, datetime (ISO 8601), timestamp (µs), timestamp_desc, and our fields. */
const q = (v: string | null | undefined): string => (v === undefined ? '' : JSON.stringify(v));

export function jsonlLine(e: TimelineEvent): string {
  const ms = Date.parse(e.time);
  // Written field by field (each value through JSON.stringify): a million lines cost half of stringifying objects.
  let line = `{"message":${q(e.message)},"datetime":${q(e.time)},"timestamp":${Number.isNaN(ms) ? 0 : ms * 1000},"timestamp_desc":${q(timestampDesc(e))},"data_type":"bulkhead:audit:${e.category}","seq":${e.seq},"event":${q(e.event)},"actor":${q(e.actor)},"qube":${q(e.qube)}`;
  if (e.target !== undefined) line += `,"target":${q(e.target)}`;
  if (e.service !== undefined) line += `,"service":${q(e.service)}`;
  if (e.decision !== undefined) line += `,"decision":${q(e.decision)}`;
  return `${line}}\n`;
}
