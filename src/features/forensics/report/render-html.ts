// The report as one self-contained HTML page: no script, no external resource, an inline SVG timeline; every text escaped (pure).
import { chainText, headerText } from './render-text.js';
import type { ReportHeader, ReportSummary } from './report.js';
import type { Category, TimelineEvent } from './timeline.js';

/** Rows of the event table at most (the whole timeline is in --jsonl / --json). */
export const HTML_MAX_ROWS = 5000;
const LANES = 24;
const BINS = 160;

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const COLOURS: Record<Category, string> = {
  lifecycle: '#2e7d32',
  rpc: '#1565c0',
  filecopy: '#6a1b9a',
  clipboard: '#00838f',
  exec: '#ef6c00',
  firewall: '#c62828',
  policy: '#ad1457',
  config: '#757575',
  volume: '#5d4037',
  admin: '#424242',
};

/** Collects what the page needs while the events stream by: lane/bin counts for the chart, the first rows for the table. */
export class HtmlCollector {
  readonly rows: TimelineEvent[] = [];
  private total = 0;
  private readonly times: number[] = [];
  private readonly lanes: string[] = [];
  private readonly cats: Category[] = [];

  add(e: TimelineEvent): void {
    this.total++;
    if (this.rows.length < HTML_MAX_ROWS) this.rows.push(e);
    const t = Date.parse(e.time);
    if (Number.isNaN(t)) return;
    this.times.push(t);
    this.lanes.push(e.qube ?? '(admin)');
    this.cats.push(e.category);
  }

  page(h: ReportHeader, s: ReportSummary): string {
    const esc = escapeHtml;
    const inv = s.inventory
      .map(
        (q) =>
          `<tr><td>${esc(q.name)}</td><td>${esc(q.klass)}</td><td>${esc(q.label)}</td><td>${esc(q.template ?? '-')}</td><td>${esc(q.netvm ?? '(default)')}</td><td>${esc(q.created)}</td><td>${esc(q.lastStarted ?? '-')}</td><td>${esc(q.power)}</td><td>${esc(
            q.volumes
              .filter((v) => v.kind !== 'absent')
              .map((v) => `${v.volume}: ${v.kind} ${v.bytes} B`)
              .join('; ') || 'none in this copy',
          )}</td><td>${q.revisions}</td></tr>`,
      )
      .join('\n');
    const rows = this.rows
      .map(
        (e) =>
          `<tr class="c-${e.category}"><td>${e.seq}</td><td>${esc(e.time)}</td><td>${esc(e.category)}</td><td>${esc(e.qube ?? '')}</td><td>${esc(e.target ?? '')}</td><td>${esc(e.decision ?? '')}</td><td>${esc(e.message)}</td></tr>`,
      )
      .join('\n');
    const more =
      this.total > this.rows.length
        ? `<p>The table shows the first ${this.rows.length} of ${this.total} events; the whole timeline is in <code>--jsonl</code> or <code>--json</code>.</p>`
        : '';
    const ok = s.chain.ok;
    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>bulkhead examiner's report</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em} h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;font-size:12px} td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}
th{background:#f0f0f0} pre{background:#f7f7f7;padding:.6em;white-space:pre-wrap;word-break:break-all}
.ok{color:#1b5e20;font-weight:bold} .bad{color:#b71c1c;font-weight:bold}
.legend span{display:inline-block;margin-right:1em} .legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
</style></head><body>
<h1>bulkhead examiner's report</h1>
<pre>${esc(headerText(h))}</pre>
<h2>Audit chain</h2>
<p class="${ok ? 'ok' : 'bad'}">${esc(chainText(s.chain)).replace(/\n/g, '<br>')}</p>
<h2>Timeline</h2>
${this.chart()}
<h2>Qubes</h2>
<table><tr><th>name</th><th>class</th><th>label</th><th>template</th><th>netvm</th><th>created</th><th>last started</th><th>power</th><th>volumes</th><th>revisions</th></tr>
${inv}
</table>
${s.removed.length ? `<p>Removed qubes seen in the audit log: ${esc(s.removed.join(', '))}</p>` : ''}
<h2>Events</h2>
${more}
<table><tr><th>#</th><th>time (UTC)</th><th>category</th><th>qube</th><th>target</th><th>decision</th><th>event</th></tr>
${rows}
</table>
</body></html>
`;
  }

  /** Lanes are qubes (the busiest; the rest in one lane), columns time bins; each cell's colour is its commonest category. */
  chart(): string {
    if (this.times.length === 0) return '<p>No events.</p>';
    let t0 = Infinity;
    let t1 = -Infinity;
    for (const t of this.times) {
      if (t < t0) t0 = t;
      if (t > t1) t1 = t;
    }
    const span = Math.max(1, t1 - t0);
    const counts = new Map<string, number>();
    for (const l of this.lanes) counts.set(l, (counts.get(l) ?? 0) + 1);
    const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([l]) => l);
    const shown = ranked.slice(0, ranked.length > LANES ? LANES - 1 : LANES);
    const laneOf = new Map(shown.map((l, i) => [l, i]));
    const other = ranked.length > shown.length ? shown.length : -1;
    const nLanes = shown.length + (other >= 0 ? 1 : 0);
    const cells = new Map<number, Map<Category, number>>();
    let max = 1;
    for (let i = 0; i < this.times.length; i++) {
      const lane = laneOf.get(this.lanes[i]!) ?? other;
      const bin = Math.min(BINS - 1, Math.floor(((this.times[i]! - t0) / span) * BINS));
      const key = lane * BINS + bin;
      const m = cells.get(key) ?? new Map<Category, number>();
      m.set(this.cats[i]!, (m.get(this.cats[i]!) ?? 0) + 1);
      cells.set(key, m);
      let n = 0;
      for (const v of m.values()) n += v;
      if (n > max) max = n;
    }
    const left = 150;
    const cw = 5;
    const lh = 16;
    const width = left + BINS * cw + 10;
    const height = nLanes * lh + 30;
    const esc = escapeHtml;
    const parts: string[] = [];
    for (let i = 0; i < nLanes; i++) {
      const name = i === other ? `(${ranked.length - shown.length} other qubes)` : shown[i]!;
      parts.push(`<text x="${left - 6}" y="${i * lh + 12}" text-anchor="end" font-size="11">${esc(name.length > 24 ? `${name.slice(0, 23)}…` : name)}</text>`);
      parts.push(`<line x1="${left}" x2="${width - 10}" y1="${i * lh + 8}" y2="${i * lh + 8}" stroke="#eee"/>`);
    }
    for (const [key, m] of cells) {
      const lane = Math.floor(key / BINS);
      const bin = key % BINS;
      let n = 0;
      let best: Category = 'admin';
      let bestN = -1;
      for (const [c, v] of m) {
        n += v;
        if (v > bestN) {
          best = c;
          bestN = v;
        }
      }
      const op = (0.35 + (0.65 * Math.log1p(n)) / Math.log1p(max)).toFixed(2);
      parts.push(
        `<rect x="${left + bin * cw}" y="${lane * lh + 2}" width="${cw - 1}" height="${lh - 4}" fill="${COLOURS[best]}" fill-opacity="${op}"><title>${esc(`${n} events, mostly ${best}`)}</title></rect>`,
      );
    }
    parts.push(`<text x="${left}" y="${height - 8}" font-size="11">${esc(new Date(t0).toISOString())}</text>`);
    parts.push(`<text x="${width - 10}" y="${height - 8}" font-size="11" text-anchor="end">${esc(new Date(t1).toISOString())}</text>`);
    const legend = (Object.keys(COLOURS) as Category[]).map((c) => `<span><i style="background:${COLOURS[c]}"></i>${c}</span>`).join('');
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="events per qube over time">${parts.join('')}</svg>\n<p class="legend">${legend}</p>`;
  }
}
