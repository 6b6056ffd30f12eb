// A NIC's state on the host side (up, MTU, MAC, IPv4 addresses, routes through it), read before it moves and put back when it returns.
import { BulkheadError } from '../../errors/index.js';
import { checkIfname } from '../index.js';
import { hostIp, hostIpJson, type HostSide } from './host-side.js';
import type { SavedRoute } from './record.js';

export interface NicState {
  ifname: string;
  mac: string;
  up: boolean;
  mtu?: number;
  kind: string;
  addrs: { local: string; prefixlen: number; broadcast?: string }[];
  routes: SavedRoute[];
}

interface RawAddrLink {
  ifname?: string;
  address?: string;
  flags?: string[];
  mtu?: number;
  link_type?: string;
  linkinfo?: { info_kind?: string };
  addr_info?: { family?: string; local?: string; prefixlen?: number; broadcast?: string }[];
}
interface RawRoute {
  dst?: string;
  gateway?: string;
  metric?: number;
  prefsrc?: string;
  scope?: string;
  protocol?: string;
  type?: string;
}

/** The NIC as the host side sees it, or null when it has no such interface. */
export async function readNic(side: HostSide, nic: string): Promise<NicState | null> {
  checkIfname(nic);
  const links = (await hostIpJson(side, ['-d', 'addr', 'show', 'dev', nic])) as RawAddrLink[];
  const l = links[0];
  if (!l || l.ifname !== nic) return null;
  const routes = ((await hostIpJson(side, ['-4', 'route', 'show', 'table', 'main', 'dev', nic])) as RawRoute[])
    .filter((r) => typeof r.dst === 'string' && (r.type === undefined || r.type === 'unicast'))
    .map((r) => {
      const s: SavedRoute = { dst: r.dst! };
      if (r.gateway) s.gateway = r.gateway;
      if (typeof r.metric === 'number') s.metric = r.metric;
      if (r.prefsrc) s.prefsrc = r.prefsrc;
      if (r.scope) s.scope = r.scope;
      if (r.protocol) s.protocol = r.protocol;
      return s;
    });
  return {
    ifname: nic,
    mac: l.address ?? '',
    up: (l.flags ?? []).includes('UP'),
    kind: l.link_type === 'loopback' ? 'loopback' : (l.linkinfo?.info_kind ?? 'device'),
    ...(typeof l.mtu === 'number' ? { mtu: l.mtu } : {}),
    addrs: (l.addr_info ?? [])
      .filter((a) => a.family === 'inet' && a.local && typeof a.prefixlen === 'number')
      .map((a) => ({ local: a.local!, prefixlen: a.prefixlen!, ...(a.broadcast ? { broadcast: a.broadcast } : {}) })),
    routes,
  };
}

/** ip batch lines that put back addresses and routes: addresses first (their subnet routes come with them, so "exists" is expected and ignored). */
export function restoreLines(nic: string, s: { up: boolean; mtu?: number; addrs: NicState['addrs']; routes: SavedRoute[] }): string[] {
  const dev = checkIfname(nic);
  const lines: string[] = [];
  if (s.mtu !== undefined) lines.push(`link set dev ${dev} mtu ${s.mtu}`);
  if (s.up) lines.push(`link set dev ${dev} up`);
  for (const a of s.addrs) lines.push(`address add ${a.local}/${a.prefixlen}${a.broadcast ? ` broadcast ${a.broadcast}` : ''} dev ${dev}`);
  // Routes through a gateway need the link routes first: plain ones first, the kernel's own (proto kernel) skipped, they come with the addresses.
  const sorted = [...s.routes].filter((r) => r.protocol !== 'kernel').sort((a, b) => Number(a.gateway !== undefined) - Number(b.gateway !== undefined));
  for (const r of sorted) {
    const parts = ['route', 'add', r.dst];
    if (r.gateway) parts.push('via', r.gateway);
    parts.push('dev', dev);
    if (r.metric !== undefined) parts.push('metric', String(r.metric));
    if (r.prefsrc) parts.push('src', r.prefsrc);
    if (r.scope && r.scope !== 'global' && !r.gateway) parts.push('scope', r.scope);
    if (r.protocol) parts.push('proto', r.protocol);
    lines.push(parts.join(' '));
  }
  return lines;
}

/** Put back the NIC's state on the host side; every line is tried (a route the host's own network manager already made stays). */
export async function restoreNic(side: HostSide, nic: string, s: Parameters<typeof restoreLines>[1]): Promise<void> {
  await hostIp(side, restoreLines(nic, s), { force: true }).catch((e: unknown) => {
    throw new BulkheadError('ERR_NETWORK', `could not restore ${nic} on the host: ${(e as Error).message}`);
  });
}
