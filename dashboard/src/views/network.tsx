// The network as a picture: uplink → sys-net → sys-firewall → qubes, gateways and their workstations, qubes without network (generated SVG).
import { useEffect, useState } from 'preact/hooks';
import { api, type Qube } from '../api';
import { labelClass } from '../format';

const COL_W = 230;
const ROW_H = 46;
const NODE_W = 170;
const NODE_H = 32;
const PAD = 24;

interface Node {
  id: string;
  q: Qube | null;
  col: number;
  row: number;
  parent: string | null;
}

/** Columns by distance from the uplink; qubes with no netvm that serve nobody go to the last column. */
export function layout(qubes: Qube[]): { nodes: Node[]; cols: number; offline: Qube[] } {
  const byName = new Map(qubes.map((q) => [q.name, q]));
  const servesSomeone = new Set(qubes.map((q) => q.netvm).filter((n): n is string => !!n));
  const depth = new Map<string, number>();
  const depthOf = (q: Qube, seen: Set<string>): number => {
    const d = depth.get(q.name);
    if (d !== undefined) return d;
    let r = -1;
    if (q.netvm && byName.has(q.netvm) && !seen.has(q.name)) {
      const up = depthOf(byName.get(q.netvm) as Qube, new Set([...seen, q.name]));
      r = up < 0 ? -1 : up + 1;
    } else if (!q.netvm && (servesSomeone.has(q.name) || q.name.startsWith('sys-net'))) r = 1;
    depth.set(q.name, r);
    return r;
  };
  for (const q of qubes) depthOf(q, new Set());
  const nodes: Node[] = [{ id: 'uplink', q: null, col: 0, row: 0, parent: null }];
  const cols = Math.max(1, ...[...depth.values()]) + 1;
  // Rows: depth-first from the uplink, so children sit next to their netvm.
  const rowsUsed = new Array<number>(cols).fill(0);
  const place = (name: string | null, col: number, minRow: number) => {
    const kids = qubes.filter((q) => depth.get(q.name) === col && (col === 1 ? true : q.netvm === name)).sort((a, b) => a.name.localeCompare(b.name));
    let r = minRow;
    for (const k of kids) {
      const row = Math.max(r, rowsUsed[col] ?? 0);
      nodes.push({ id: k.name, q: k, col, row, parent: col === 1 ? 'uplink' : name });
      rowsUsed[col] = row + 1;
      place(k.name, col + 1, row);
      r = Math.max(row + 1, rowsUsed[col + 1] ?? 0);
    }
  };
  place(null, 1, 0);
  const offline = qubes.filter((q) => (depth.get(q.name) ?? -1) < 0).sort((a, b) => a.name.localeCompare(b.name));
  return { nodes, cols, offline };
}

export function NetworkView({ qubes }: { qubes: Qube[] }) {
  const [gateways, setGateways] = useState<Set<string>>(new Set());
  useEffect(() => {
    api
      .gateways()
      .then((g) => setGateways(new Set(g.map((x) => x.name))))
      .catch(() => undefined);
  }, [qubes.length]);
  const { nodes, cols, offline } = layout(qubes);
  const rows = Math.max(1, ...nodes.map((n) => n.row + 1));
  const w = PAD * 2 + (cols - 1) * COL_W + NODE_W;
  const h = PAD * 2 + rows * ROW_H;
  const pos = new Map(nodes.map((n) => [n.id, { x: PAD + n.col * COL_W, y: PAD + n.row * ROW_H }]));
  const colTitle = (c: number) => (c === 0 ? 'uplink' : c === 1 ? 'network qubes' : c === 2 ? 'firewalls and gateways' : 'qubes');
  return (
    <section class="panel">
      <h2>Network</h2>
      <p class="muted">Each line is a point-to-point link from a qube to its netvm. Purple-edged boxes are Tor gateways; their qubes are workstations.</p>
      <div class="svg-wrap">
        <svg width={w} height={h + 18} viewBox={`0 -18 ${w} ${h + 18}`} class="net" data-testid="network-svg" role="img" aria-label="network chain">
          {Array.from({ length: cols }, (_, c) => (
            <text key={c} class="col-title" x={PAD + c * COL_W} y={4}>
              {colTitle(c)}
            </text>
          ))}
          {nodes
            .filter((n) => n.parent)
            .map((n) => {
              const a = pos.get(n.parent as string);
              const b = pos.get(n.id);
              if (!a || !b) return null;
              const x1 = a.x + NODE_W;
              const y1 = a.y + NODE_H / 2;
              const x2 = b.x;
              const y2 = b.y + NODE_H / 2;
              const mx = (x1 + x2) / 2;
              const tor = gateways.has(n.parent as string);
              return <path key={`e-${n.id}`} class={tor ? 'edge tor' : 'edge'} d={`M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`} />;
            })}
          {nodes.map((n) => {
            const p = pos.get(n.id) as { x: number; y: number };
            const gw = n.q && gateways.has(n.q.name);
            const ws = n.q?.netvm && gateways.has(n.q.netvm);
            return (
              <g
                key={n.id}
                transform={`translate(${p.x},${p.y})`}
                class={`node${gw ? ' gateway' : ''}${n.q?.state === 'running' ? ' running' : ''}`}
                data-node={n.id}
              >
                <rect width={NODE_W} height={NODE_H} rx={6} class="box" />
                <rect width={6} height={NODE_H} rx={2} class={n.q ? `stripe ${labelClass(n.q.label)}` : 'stripe uplink'} />
                <text x={14} y={14} class="title">
                  {n.q ? n.q.name : 'uplink'}
                </text>
                <text x={14} y={26} class="sub">
                  {n.q ? `${n.q.state}${gw ? ' · Tor gateway' : ws ? ' · workstation' : ''}` : 'outside world'}
                </text>
              </g>
            );
          })}
        </svg>
      </div>
      <h3>Without network</h3>
      <div class="chips" data-testid="offline">
        {offline.map((q) => (
          <span class="chip" key={q.name}>
            <span class={`dot ${labelClass(q.label)}`} />
            {q.name}
          </span>
        ))}
        {offline.length === 0 ? <span class="muted">every qube has a network</span> : null}
      </div>
    </section>
  );
}
