// Judges an inventory of links and routes: is every namespace of a prefix sealed off from the host's real network?

/** Where the other end of a veth lives, as seen from its namespace. */
export type PeerPlace =
  | { kind: 'same' } // no link-netnsid: both ends in this namespace
  | { kind: 'named'; netns: string } // a namespace with a name under /run/netns
  | { kind: 'unnamed'; nsid: number }; // the host's namespace, or one nobody named

export interface LinkInfo {
  /** Namespace name; null for the host (init) namespace. */
  netns: string | null;
  ifname: string;
  ifindex: number;
  /** `loopback`, `veth`, or another kind (`bridge`, `dummy`, `ether` for a real NIC, ...). */
  kind: string;
  peer?: { place: PeerPlace; ifindex: number };
}

export interface RouteInfo {
  netns: string;
  family: 4 | 6;
  dst: string;
  table: string;
  /** Output devices (several for multipath); empty for unreachable/blackhole/prohibit routes. */
  devs: string[];
}

export interface NetInventory {
  prefix: string;
  /** Every namespace whose name starts with the prefix. */
  namespaces: string[];
  links: LinkInfo[];
  routes: RouteInfo[];
  /** Links of the host namespace, with peers resolved from the host's view. */
  hostLinks: LinkInfo[];
}

export interface SealReport {
  sealed: boolean;
  prefix: string;
  namespaces: string[];
  /** How many links and routes were looked at (so an empty inventory is visible). */
  checkedLinks: number;
  checkedRoutes: number;
  violations: string[];
}

const where = (ns: string | null): string => (ns === null ? 'host namespace' : `namespace ${ns}`);

/**
 * Sealed means: every link of every prefixed namespace is `lo` or a veth whose peer is in another
 * prefixed namespace (and points back); every route leaves through such a link; and the host
 * namespace holds no interface that is ours (named with the prefix, or a veth into a prefixed namespace).
 */
export function judgeSealing(inv: NetInventory): SealReport {
  const violations: string[] = [];
  const ours = (ns: string): boolean => ns.startsWith(inv.prefix);
  const byNs = new Map<string, LinkInfo[]>();
  for (const l of inv.links) {
    if (l.netns === null) continue;
    const list = byNs.get(l.netns) ?? [];
    list.push(l);
    byNs.set(l.netns, list);
  }
  const approved = new Map<string, Set<string>>();
  for (const ns of inv.namespaces) approved.set(ns, new Set());

  for (const l of inv.links) {
    const ns = l.netns;
    if (ns === null || !ours(ns)) {
      violations.push(`${where(ns)}: link ${l.ifname} was listed as a prefixed namespace's link`);
      continue;
    }
    const ok = approved.get(ns) ?? new Set<string>();
    approved.set(ns, ok);
    if (l.kind === 'loopback') {
      if (l.ifname === 'lo') ok.add(l.ifname);
      else violations.push(`${where(ns)}: unexpected loopback device ${l.ifname}`);
      continue;
    }
    if (l.kind !== 'veth') {
      violations.push(`${where(ns)}: link ${l.ifname} is a ${l.kind} device, not a veth`);
      continue;
    }
    const p = l.peer;
    if (!p) {
      violations.push(`${where(ns)}: veth ${l.ifname} has no known peer`);
      continue;
    }
    if (p.place.kind === 'same') {
      violations.push(`${where(ns)}: veth ${l.ifname} has its peer in the same namespace`);
      continue;
    }
    if (p.place.kind === 'unnamed') {
      violations.push(`${where(ns)}: veth ${l.ifname} has its peer in an unnamed namespace (nsid ${p.place.nsid}: the host's or a foreign one)`);
      continue;
    }
    const peerNs = p.place.netns;
    if (!ours(peerNs)) {
      violations.push(`${where(ns)}: veth ${l.ifname} has its peer in ${peerNs}, which does not carry the prefix ${inv.prefix}`);
      continue;
    }
    const back = (byNs.get(peerNs) ?? []).find((x) => x.ifindex === p.ifindex);
    if (!back) {
      violations.push(`${where(ns)}: veth ${l.ifname} points at ifindex ${p.ifindex} in ${peerNs}, which is not in the inventory`);
      continue;
    }
    const backPlace = back.peer?.place;
    if (back.kind !== 'veth' || backPlace?.kind !== 'named' || backPlace.netns !== ns || back.peer?.ifindex !== l.ifindex) {
      violations.push(`${where(ns)}: veth ${l.ifname} and ${peerNs}/${back.ifname} do not point at each other`);
      continue;
    }
    ok.add(l.ifname);
  }

  for (const r of inv.routes) {
    const ok = approved.get(r.netns);
    for (const dev of r.devs) {
      if (!ok?.has(dev))
        violations.push(`namespace ${r.netns}: IPv${r.family} route ${r.dst} (table ${r.table}) leaves through ${dev}, which is not a sealed link`);
    }
  }

  for (const h of inv.hostLinks) {
    if (h.ifname.startsWith(inv.prefix)) violations.push(`host namespace: interface ${h.ifname} carries the prefix ${inv.prefix}`);
    const place = h.peer?.place;
    if (h.kind === 'veth' && place?.kind === 'named' && ours(place.netns)) {
      violations.push(`host namespace: veth ${h.ifname} leads into ${place.netns}`);
    }
  }

  return {
    sealed: violations.length === 0,
    prefix: inv.prefix,
    namespaces: [...inv.namespaces],
    checkedLinks: inv.links.length,
    checkedRoutes: inv.routes.length,
    violations,
  };
}
