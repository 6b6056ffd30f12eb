// What counts as tor's own traffic at each watched point, and the per-row tally of packets seen.
import { LAB_TOR_ADDRESSES } from '../../src/lab/tor-world.js';
import { planTorNetwork } from '../../src/lab/tor/plan.js';
import type { Packet, TapPoint } from './observer.js';

export interface TorEndpoints {
  /** `ADDR:PORT` of every ORPort, DirPort and obfs4 port of the lab's Tor network. */
  ports: Set<string>;
  /** Every address of the lab's Tor nodes (exits included). */
  nodes: Set<string>;
}

/** The lab Tor network's listening endpoints, from the same pure plan `lab up` uses. */
export function labTorEndpoints(): TorEndpoints {
  const plan = planTorNetwork({ stateDir: '/lab', addresses: LAB_TOR_ADDRESSES });
  const ports = new Set<string>();
  for (const n of plan.nodes) {
    for (const port of [n.orPort, n.dirPort, n.obfs4Port]) if (port > 0) ports.add(`${n.address}:${port}`);
  }
  return { ports, nodes: new Set(plan.nodes.map((n) => n.address)) };
}

export type Verdict = 'tor' | 'link' | 'leak';

/**
 * Judges the packets seen at one point, in capture order:
 * - uplink: TCP between the point's tor source address and a Tor node's ORPort/DirPort/obfs4 port
 *   (either direction) is tor's own traffic; so is a TCP flow an exit opened (its SYN came from a
 *   Tor node address): an exit connecting to sys-net's public address carries a stream, like an
 *   exit reaching a lab host. Everything else is a leak.
 * - lab host: anything to or from a Tor node address is what an exit carried; everything else is a leak.
 * - ARP between the two ends of the watched link is link upkeep; any other ARP, any other
 *   ethertype, any IPv6 is a leak.
 */
export class PointJudge {
  /** TCP flows opened by a Tor node towards this point: `node:port>addr:port`. */
  private readonly exitFlows = new Set<string>();

  constructor(
    private readonly point: TapPoint,
    private readonly tor: TorEndpoints,
  ) {}

  judge(p: Packet): Verdict {
    const { point, tor } = this;
    if (p.kind === 'arp') return point.linkAddrs.includes(p.src) && point.linkAddrs.includes(p.dst) ? 'link' : 'leak';
    if (p.kind !== 'ipv4') return 'leak';
    if (point.kind === 'host') return tor.nodes.has(p.src) || tor.nodes.has(p.dst) ? 'tor' : 'leak';
    if (p.proto !== 6 || p.fragment || !point.torSource) return 'leak';
    if (p.src === point.torSource && tor.ports.has(`${p.dst}:${p.dport}`)) return 'tor';
    if (p.dst === point.torSource && tor.ports.has(`${p.src}:${p.sport}`)) return 'tor';
    const SYN = 0x02,
      ACK = 0x10;
    if (tor.nodes.has(p.src) && p.flags >= 0 && (p.flags & (SYN | ACK)) === SYN) this.exitFlows.add(`${p.src}:${p.sport}>${p.dst}:${p.dport}`);
    if (this.exitFlows.has(`${p.src}:${p.sport}>${p.dst}:${p.dport}`) || this.exitFlows.has(`${p.dst}:${p.dport}>${p.src}:${p.sport}`)) return 'tor';
    return 'leak';
  }
}

export interface Cell {
  tor: number;
  leak: number;
  link: number;
}
export const emptyCell = (): Cell => ({ tor: 0, leak: 0, link: 0 });

/** A row's time window and what each point saw in it. */
export interface Window {
  start: number;
  end: number;
}

/** Index of the window holding `ts` (windows sorted, non-overlapping), or -1 for between rows. */
export function windowOf(windows: readonly Window[], ts: number): number {
  let lo = 0,
    hi = windows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const w = windows[mid]!;
    if (ts < w.start) hi = mid - 1;
    else if (ts >= w.end) lo = mid + 1;
    else return mid;
  }
  return -1;
}
