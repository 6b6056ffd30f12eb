// veth pairs between named namespaces (created directly inside them, never in the host), and an inventory of links with peers.
import { run } from '../exec/index.js';
import type { LinkInfo, PeerPlace } from '../model/sealing.js';
import { ipBatch, splitJsonBatch } from './batch.js';
import { checkIfname, checkNetnsName } from './names.js';

export interface VethSpec {
  /** Namespace and interface name of one end. */
  netns: string;
  ifname: string;
  /** Namespace and interface name of the other end. */
  peerNetns: string;
  peerIfname: string;
}

/**
 * `ip` batch line that creates a veth pair with each end born in its namespace: the rtnetlink request
 * carries both target namespaces, so neither end ever exists in the namespace `ip` runs in.
 */
export function vethLine(v: VethSpec): string {
  return `link add ${checkIfname(v.ifname)} netns ${checkNetnsName(v.netns)} type veth peer name ${checkIfname(v.peerIfname)} netns ${checkNetnsName(v.peerNetns)}`;
}

/** Create veth pairs, all in one `ip` process. */
export async function vethCreate(pairs: readonly VethSpec[]): Promise<void> {
  await ipBatch(pairs.map(vethLine));
}

/** Delete a link (for a veth, both ends go). Missing links are ignored. */
export async function linkDelete(netns: string, ifname: string): Promise<void> {
  await ipBatch([`link delete ${checkIfname(ifname)}`], { netns, force: true });
}

interface RawLink {
  ifindex?: number;
  ifname?: string;
  link_type?: string;
  link_index?: number;
  /** Peer's name, printed instead of link_index when the peer is in the same namespace. */
  link?: string;
  link_netnsid?: number;
  linkinfo?: { info_kind?: string };
}
interface RawNsid {
  nsid?: number;
  name?: string;
}

/** Turn `ip -d -j link` and `ip -j netns list-id` output into links with their peers located. */
export function parseLinks(netns: string | null, rawLinks: unknown[], rawIds: unknown[]): LinkInfo[] {
  const names = new Map<number, string>();
  for (const r of rawIds as RawNsid[]) if (typeof r.nsid === 'number' && typeof r.name === 'string') names.set(r.nsid, r.name);
  const all = rawLinks as RawLink[];
  return all.map((r) => {
    const kind = r.link_type === 'loopback' ? 'loopback' : (r.linkinfo?.info_kind ?? r.link_type ?? 'unknown');
    const info: LinkInfo = { netns, ifname: r.ifname ?? '?', ifindex: r.ifindex ?? -1, kind };
    if (kind === 'veth' && typeof r.link === 'string' && typeof r.link_netnsid !== 'number') {
      info.peer = { place: { kind: 'same' }, ifindex: all.find((x) => x.ifname === r.link)?.ifindex ?? -1 };
    } else if (kind === 'veth' && typeof r.link_index === 'number') {
      let place: PeerPlace;
      if (typeof r.link_netnsid !== 'number') place = { kind: 'same' };
      else {
        const name = names.get(r.link_netnsid);
        place = name === undefined ? { kind: 'unnamed', nsid: r.link_netnsid } : { kind: 'named', netns: name };
      }
      info.peer = { place, ifindex: r.link_index };
    }
    return info;
  });
}

/** Every link of one namespace (null: the host's) with where each veth's peer lives; routes of both families on request. */
export async function inspectNetns(netns: string | null): Promise<{ links: LinkInfo[]; routes4: unknown[]; routes6: unknown[] }> {
  const base = netns === null ? [] : ['-n', checkNetnsName(netns)];
  const [batchOut, r6] = await Promise.all([
    ipBatch(['link show', 'netns list-id', 'route show table all'], { netns: netns ?? undefined, json: true, details: true }),
    run('ip', [...base, '-j', '-6', 'route', 'show', 'table', 'all'], { timeoutMs: 10_000 }),
  ]);
  const [rawLinks = [], rawIds = [], routes4 = []] = splitJsonBatch(batchOut);
  const routes6 = r6.stdout.trim() === '' ? [] : (JSON.parse(r6.stdout) as unknown[]);
  return { links: parseLinks(netns, rawLinks, rawIds), routes4, routes6 };
}
