// Writes bench/results/README.md: one markdown table from every bench/results/*.json.
// A result with a `summary` array ({metric, value, unit, target, meets}) gets one row per entry;
// any other result gets one row listing its scalar fields.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'bench/results';
const esc = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');
const fmt = (v) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : String(v));

function scalars(obj, prefix = '', depth = 0, out = []) {
  for (const [k, v] of Object.entries(obj)) {
    if (['node', 'date', 'benchmark', 'host'].includes(k) && depth === 0) continue;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      if (depth < 1) scalars(v, `${prefix}${k}.`, depth + 1, out);
    } else if (typeof v === 'number' || typeof v === 'boolean' || (typeof v === 'string' && v.length < 40)) {
      out.push(`${prefix}${k}=${fmt(v)}`);
    }
  }
  return out;
}

const rows = [];
for (const f of readdirSync(dir).filter((x) => x.endsWith('.json')).sort()) {
  let r;
  try { r = JSON.parse(readFileSync(join(dir, f), 'utf8')); } catch (e) { rows.push([f, 'unreadable result', esc(e.message), '', '', '']); continue; }
  const when = typeof r.date === 'string' ? r.date.slice(0, 16).replace('T', ' ') : '';
  if (Array.isArray(r.summary)) {
    for (const s of r.summary) {
      const meets = s.meets === undefined ? '' : s.meets ? 'yes' : '**no**';
      rows.push([f.replace(/\.json$/, ''), esc(s.metric), `${fmt(s.value)} ${s.unit ?? ''}`.trim(), esc(s.target ?? ''), meets, when]);
    }
  } else {
    const meets = Object.entries(r).find(([k]) => k.startsWith('meets'))?.[1];
    rows.push([f.replace(/\.json$/, ''), esc(r.benchmark ?? ''), esc(scalars(r).join(', ')), '', meets === undefined ? '' : meets ? 'yes' : '**no**', when]);
  }
}
const text = [
  '# Benchmark results',
  '',
  'Written by `npm run bench` (scripts/bench) from the JSON files in this directory; targets are reported, never asserted.',
  '',
  '| bench | metric | value | target | meets | measured (UTC) |',
  '|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.join(' | ')} |`),
  '',
].join('\n');
writeFileSync(join(dir, 'README.md'), text);
process.stdout.write(`wrote ${join(dir, 'README.md')} (${rows.length} rows)\n`);
