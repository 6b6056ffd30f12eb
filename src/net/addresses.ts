// Addresses and routes on links, Qubes style: /32 on each end of a point-to-point link, a host route to the peer, an onlink default route.
import { BulkheadError } from '../errors/index.js';
import { parseIpv4 } from '../model/addresses.js';
import type { RouteInfo } from '../model/sealing.js';
import { ipBatch } from './batch.js';
import { checkIfname, checkNetnsName } from './names.js';

function addr4(field: string, a: string): string {
  if (parseIpv4(a) === undefined) throw new BulkheadError('ERR_INVALID_VALUE', `${field}: "${a}" is not an IPv4 address`, { field });
  return a;
}

/** One end of a point-to-point link. */
export interface P2pEnd {
  netns: string;
  ifname: string;
  /** Addresses this end holds (/32 each); the first is its source address. */
  addresses: readonly string[];
}

/**
 * Batch lines for one end: bring the link up, add its /32s, a host route to each of the peer's
 * addresses, and (if asked) a default route through the peer's first address.
 */
export function p2pLines(self: P2pEnd, peer: P2pEnd, opts: { defaultRoute?: boolean; loUp?: boolean } = {}): string[] {
  const dev = checkIfname(self.ifname);
  const lines: string[] = [];
  if (opts.loUp) lines.push('link set lo up');
  lines.push(`link set ${dev} up`);
  self.addresses.forEach((a, i) => lines.push(`address add ${addr4(`addresses[${i}]`, a)}/32 dev ${dev}`));
  peer.addresses.forEach((a, i) => lines.push(`route add ${addr4(`peer.addresses[${i}]`, a)}/32 dev ${dev} scope link src ${self.addresses[0] as string}`));
  if (opts.defaultRoute) {
    const gw = peer.addresses[0];
    if (gw === undefined) throw new BulkheadError('ERR_INVALID_VALUE', 'peer.addresses: a default route needs a peer address');
    lines.push(`route add default via ${gw} dev ${dev} onlink src ${self.addresses[0] as string}`);
  }
  return lines;
}

/** Lines per namespace, merged so each namespace gets one `ip -n NS -batch -` process. */
export class NetnsBatches {
  private readonly lines = new Map<string, string[]>();
  add(netns: string, lines: readonly string[]): this {
    const l = this.lines.get(checkNetnsName(netns)) ?? [];
    l.push(...lines);
    this.lines.set(netns, l);
    return this;
  }
  /** Run every namespace's lines, namespaces in parallel. */
  async apply(): Promise<void> {
    await Promise.all([...this.lines].map(([ns, l]) => ipBatch(l, { netns: ns })));
  }
}

/**
 * Address both ends of a point-to-point link, Qubes style. `down` is the downstream side (a qube,
 * sys-net) and gets the default route; `up` (the netvm, the lab router) only a host route back.
 */
export async function configurePointToPoint(down: P2pEnd, up: P2pEnd, opts: { defaultRoute?: boolean } = {}): Promise<void> {
  await new NetnsBatches()
    .add(down.netns, p2pLines(down, up, { defaultRoute: opts.defaultRoute ?? true, loUp: true }))
    .add(up.netns, p2pLines(up, down))
    .apply();
}

interface RawRoute {
  dst?: string;
  dev?: string;
  table?: string;
  nexthops?: { dev?: string }[];
}

/** Turn `ip -j route show table all` output into routes with their output devices. */
export function parseRoutes(netns: string, family: 4 | 6, raw: unknown[]): RouteInfo[] {
  return (raw as RawRoute[]).map((r) => {
    const devs = new Set<string>();
    if (r.dev) devs.add(r.dev);
    for (const n of r.nexthops ?? []) if (n.dev) devs.add(n.dev);
    return { netns, family, dst: r.dst ?? '?', table: r.table ?? 'main', devs: [...devs] };
  });
}
