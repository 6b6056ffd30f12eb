// Order of qubes along the netvm chain: netvms start before the qubes that use them and stop after them.
import { effective } from './properties.js';
import type { QubeRecord, SystemView } from './qube.js';

/** Hops from `name` to the end of its netvm chain (0: no netvm); a cycle or a missing netvm ends it. */
function depth(sys: SystemView, name: string): number {
  const seen = new Set<string>();
  let cur: string | null = name;
  let n = -1;
  while (cur !== null && !seen.has(cur)) {
    seen.add(cur);
    const q = sys.qubes.get(cur);
    if (!q) break;
    n++;
    const next = effective(q, 'netvm', sys);
    cur = typeof next === 'string' ? next : null;
  }
  return Math.max(n, 0);
}

/** `names` in start order: every netvm before the qubes behind it (then by name, so the order is stable). */
export function startOrder(sys: SystemView, names: Iterable<string>): string[] {
  const d = new Map([...new Set(names)].map((n) => [n, depth(sys, n)]));
  return [...d.keys()].sort((a, b) => (d.get(a) as number) - (d.get(b) as number) || a.localeCompare(b));
}

/**
 * `names` in shutdown steps: first every qube no other of `names` uses as its netvm (workstations,
 * app qubes, disposables, qubes without network), then their netvms (gateways), then theirs
 * (sys-firewall), last the end of the chain (sys-net). Qubes of one step do not depend on each other.
 */
export function shutdownSteps(sys: SystemView, names: Iterable<string>): string[][] {
  const set = new Set(names);
  // height: 0 for a qube no member uses as netvm, else 1 + the highest height of its users.
  const height = new Map<string, number>();
  for (const n of set) height.set(n, 0);
  // Walk up each member's chain, raising each netvm above the qube below it (bounded by the set's size).
  for (const n of set) {
    let below = n;
    let h = 0;
    for (let i = 0; i < set.size; i++) {
      const q = sys.qubes.get(below);
      const up = q ? effective(q, 'netvm', sys) : null;
      if (typeof up !== 'string' || !set.has(up) || up === n) break;
      h++;
      if ((height.get(up) as number) < h) height.set(up, h);
      below = up;
    }
  }
  const steps: string[][] = [];
  for (const [n, h] of height) (steps[h] ??= []).push(n);
  return steps.filter((s) => s !== undefined).map((s) => s.sort((a, b) => a.localeCompare(b)));
}

/** The uplink at the end of a qube's netvm chain (sys-net's feature `uplink`: `lab`, …), or null when the chain ends without one. */
export function uplinkOf(sys: SystemView, q: QubeRecord): string | null {
  let cur: QubeRecord | undefined = q;
  for (let hops = 0; cur && hops < 64; hops++) {
    const n = effective(cur, 'netvm', sys);
    if (n === null) return cur === q ? null : (cur.features['uplink'] ?? null);
    cur = sys.qubes.get(String(n));
  }
  return null;
}
