// Which interface the host's default route leaves through, from `ip -j route show default` (pure).
export interface DefaultRoute {
  dev: string;
  gateway: string | null;
  metric: number;
}

interface RawRoute {
  dst?: string;
  dev?: string;
  gateway?: string;
  metric?: number;
  flags?: string[];
  type?: string;
  nexthops?: { dev?: string; gateway?: string; flags?: string[] }[];
}

/**
 * The IPv4 default routes of the main table, best first (lowest metric; the kernel's order among
 * equals). A route marked `linkdown` or `dead` is skipped; a multipath route counts by its first
 * live next hop. Unreachable/blackhole defaults (`type`) lead nowhere and are skipped.
 */
export function defaultRoutes(raw: unknown): DefaultRoute[] {
  if (!Array.isArray(raw)) return [];
  const out: DefaultRoute[] = [];
  for (const r of raw as RawRoute[]) {
    if (typeof r !== 'object' || r === null || r.dst !== 'default') continue;
    if (r.type !== undefined && r.type !== 'unicast') continue;
    const dead = (f?: string[]) => !!f && (f.includes('linkdown') || f.includes('dead'));
    const hop =
      r.dev !== undefined ? { dev: r.dev, gateway: r.gateway, flags: r.flags } : (r.nexthops ?? []).find((n) => n.dev !== undefined && !dead(n.flags));
    if (!hop?.dev || dead(hop.flags) || dead(r.flags)) continue;
    out.push({ dev: hop.dev, gateway: hop.gateway ?? null, metric: typeof r.metric === 'number' ? r.metric : 0 });
  }
  return out
    .map((r, i) => ({ r, i }))
    .sort((a, b) => a.r.metric - b.r.metric || a.i - b.i)
    .map((x) => x.r);
}

/** The NIC of the best default route, or null when the host has none. */
export function defaultRouteNic(raw: unknown): string | null {
  return defaultRoutes(raw)[0]?.dev ?? null;
}
