// Tallies the captured packets per row and watched point, and prints the leak-test table.
import { describe, type Packet, type TapPoint } from './observer.js';
import { emptyCell, PointJudge, windowOf, type Cell, type TorEndpoints, type Window } from './classify.js';

export interface Row extends Window {
  name: string;
  tried: string;
  /** A vector row, or the suite's own baseline/control rows (not counted as vectors). */
  kind: 'vector' | 'baseline' | 'control' | 'outside';
  ok: boolean;
  note: string;
  breach: string[];
  cells: Map<string, Cell>;
  leaks: string[];
  /** Set when the gateway's tor died during this row (not a leak; a denial of service). */
  torDied?: string;
}

export function newRow(name: string, tried: string, kind: Row['kind'], start: number): Row {
  return { name, tried, kind, start, end: start, ok: true, note: '', breach: [], cells: new Map(), leaks: [] };
}

/** Put every captured packet of every point into the row whose window holds it (or the `outside` row). */
export function tally(rows: Row[], outside: Row, captures: { point: TapPoint; packets: Packet[] }[], tor: TorEndpoints): void {
  for (const { point, packets } of captures) {
    const judge = new PointJudge(point, tor);
    for (const p of packets) {
      const i = windowOf(rows, p.ts);
      const row = i >= 0 ? rows[i]! : outside;
      const cell = row.cells.get(point.label) ?? emptyCell();
      row.cells.set(point.label, cell);
      const v = judge.judge(p);
      cell[v] += 1;
      if (v === 'leak' && row.leaks.length < 40) row.leaks.push(`${point.label}: ${describe(p)}`);
    }
  }
}

export function sum(row: Row, labels: readonly string[], key: keyof Cell): number {
  return labels.reduce((n, l) => n + (row.cells.get(l)?.[key] ?? 0), 0);
}

export function leakCount(row: Row): number {
  return [...row.cells.values()].reduce((n, c) => n + c.leak, 0);
}

/** A vector passes with no leaked packet, no breach and a completed attempt; the control row must see its packets. */
export function verdict(row: Row, uplinks: readonly string[], hosts: readonly string[]): string {
  if (row.kind === 'control') return uplinks.every((l) => (row.cells.get(l)?.leak ?? 0) > 0) && sum(row, hosts, 'leak') > 0 ? 'counted' : 'NOT COUNTED';
  if (leakCount(row) > 0) return 'LEAK';
  if (row.breach.length) return 'BREACH';
  if (!row.ok) return 'ERROR';
  return row.torDied ? 'pass, TOR DIED' : 'pass';
}

function pad(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s.padEnd(n);
}

/** The table: vector, what was tried, packets at the uplinks (leaked, and tor's), at the lab hosts, verdict. */
export function formatTable(rows: Row[], uplinks: readonly string[], hosts: readonly string[]): string {
  const head = `${pad('#', 3)} ${pad('vector', 22)} ${pad('what was tried', 72)} ${pad('uplink leaked (per point)', 26)} ${pad('uplink tor', 10)} ${pad('hosts leaked', 12)} ${pad('hosts tor', 9)} verdict`;
  const lines = [head, '-'.repeat(head.length)];
  let n = 0;
  for (const r of rows) {
    const idx = r.kind === 'vector' ? String(++n) : '-';
    const perUplink = uplinks.map((l) => r.cells.get(l)?.leak ?? 0).join('/');
    lines.push(
      `${pad(idx, 3)} ${pad(r.name, 22)} ${pad(r.tried, 72)} ${pad(`${sum(r, uplinks, 'leak')} (${perUplink})`, 26)} ${pad(String(sum(r, uplinks, 'tor')), 10)} ${pad(String(sum(r, hosts, 'leak')), 12)} ${pad(String(sum(r, hosts, 'tor')), 9)} ${verdict(r, uplinks, hosts)}`,
    );
  }
  return lines.join('\n');
}

/** Per row: what the attempt reported, breaches, and the first leaked packets. */
export function formatDetails(rows: Row[]): string {
  const out: string[] = [];
  for (const r of rows) {
    out.push(`[${r.name}] ${r.tried}`, `    result: ${r.note || '-'} (${((r.end - r.start) / 1000).toFixed(1)} s)`);
    for (const b of r.breach) out.push(`    BREACH: ${b}`);
    if (r.torDied) out.push(`    TOR DIED: ${r.torDied}`);
    for (const l of r.leaks) out.push(`    packet: ${l}`);
  }
  return out.join('\n');
}
