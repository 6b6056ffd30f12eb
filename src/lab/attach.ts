// Plugging namespaces into the lab router: sys-net's uplink, and extra hosts (the private Tor network) in the relay range.
import { BulkheadError } from '../errors/index.js';
import {
  checkAttachedAddress,
  checkLabHostName,
  checkLabPrefix,
  LAB_DNS_ADDR,
  LAB_ROUTER_RELAY,
  LAB_ROUTER_UPLINK,
  labNetns,
  nextUplinkSlot,
  routerIfname,
  uplinkAddress,
} from '../model/lab-plan.js';
import {
  configurePointToPoint,
  checkIfname,
  linkDelete,
  netnsAdd,
  netnsDelete,
  netnsExists,
  netnsSysctl,
  SYSCTL_NO_IPV6,
  sysctlNoIpv6On,
  vethCreate,
} from '../net/index.js';
import { readLabState, withLabLock, writeLabState, type LabState } from './state.js';

export interface LabUplink {
  /** The namespace that got the uplink (sys-net), and its interface. */
  netns: string;
  ifname: string;
  /** sys-net's address on the uplink (/32), its gateway (the lab router) and the lab's resolver. */
  sysNetAddr: string;
  gatewayAddr: string;
  dns: string[];
}

export interface LabAttachedHost {
  netns: string;
  ifname: string;
  addresses: string[];
  gatewayAddr: string;
  dns: string[];
}

async function loadUp(prefix: string, stateDir: string): Promise<LabState> {
  const state = await readLabState(stateDir);
  if (!state) throw new BulkheadError('ERR_NETWORK', `no lab is up in ${stateDir}`);
  if (state.prefix !== prefix) throw new BulkheadError('ERR_NETWORK', `the lab in ${stateDir} has prefix ${state.prefix}, not ${prefix}`);
  return state;
}

function routerOf(state: LabState): string {
  const r = state.hosts.find((h) => h.role === 'router');
  if (!r) throw new BulkheadError('ERR_NETWORK', 'the lab record has no router');
  return r.netns;
}

/** A namespace may only be wired to the lab if it carries the prefix, so the sealing check covers it. */
async function checkOurs(prefix: string, netns: string): Promise<void> {
  if (!netns.startsWith(prefix))
    throw new BulkheadError('ERR_NETWORK', `netns: ${netns} does not carry the prefix ${prefix}; the lab only links to its own namespaces`);
  if (!(await netnsExists(netns))) throw new BulkheadError('ERR_NETWORK', `netns: ${netns} does not exist`);
}

/**
 * Give `sysNetNs` an uplink into the lab: a veth from the router (`u-N`) to `ifname` (default eth0)
 * in sys-net, sys-net's address 198.51.100.(N+1)/32, a default route via the router 198.51.100.1.
 */
export async function labAttachUplink(
  prefix: string,
  stateDir: string,
  sysNetNs: string,
  opts: { ifname?: string; defaultRoute?: boolean } = {},
): Promise<LabUplink> {
  checkLabPrefix(prefix);
  const ifname = checkIfname(opts.ifname ?? 'eth0');
  return withLabLock(stateDir, async () => {
    const state = await loadUp(prefix, stateDir);
    await checkOurs(prefix, sysNetNs);
    if (state.uplinks.some((u) => u.netns === sysNetNs)) throw new BulkheadError('ERR_NETWORK', `${sysNetNs} already has a lab uplink`);
    const router = routerOf(state);
    const slot = nextUplinkSlot(state.uplinks.map((u) => u.slot));
    const rif = routerIfname('uplink', slot);
    const address = uplinkAddress(slot);
    await vethCreate([{ netns: router, ifname: rif, peerNetns: sysNetNs, peerIfname: ifname }]);
    try {
      await netnsSysctl(sysNetNs, sysctlNoIpv6On(ifname)); // before the link is up: no IPv6 address ever appears
      await configurePointToPoint(
        { netns: sysNetNs, ifname, addresses: [address] },
        { netns: router, ifname: rif, addresses: [LAB_ROUTER_UPLINK] },
        { defaultRoute: opts.defaultRoute ?? true },
      );
    } catch (e) {
      await linkDelete(router, rif).catch(() => {});
      throw e;
    }
    state.uplinks.push({ slot, netns: sysNetNs, ifname, routerIfname: rif, address });
    await writeLabState(stateDir, state);
    return { netns: sysNetNs, ifname, sysNetAddr: address, gatewayAddr: LAB_ROUTER_UPLINK, dns: [LAB_DNS_ADDR] };
  });
}

/** Remove `sysNetNs`'s uplink (the veth pair goes; sys-net's routes through it go with it). */
export async function labDetachUplink(prefix: string, stateDir: string, sysNetNs: string): Promise<void> {
  checkLabPrefix(prefix);
  await withLabLock(stateDir, async () => {
    const state = await loadUp(prefix, stateDir);
    const u = state.uplinks.find((x) => x.netns === sysNetNs);
    if (!u) throw new BulkheadError('ERR_NETWORK', `${sysNetNs} has no lab uplink`);
    await linkDelete(routerOf(state), u.routerIfname);
    state.uplinks = state.uplinks.filter((x) => x !== u);
    await writeLabState(stateDir, state);
  });
}

/**
 * Attach a host in the relay range 203.0.113.0/24 (e.g. the private Tor network, every node on its
 * own address in one namespace). Its namespace is PREFIX-lab-NAME, made here (IPv6 off) unless
 * `opts.netns` names an existing prefixed namespace; it gets `eth0` holding every address as /32
 * and a default route via the router 203.0.113.1. Lab down deletes namespaces it made.
 */
export async function labAttachHost(
  prefix: string,
  stateDir: string,
  name: string,
  addresses: readonly string[],
  opts: { netns?: string } = {},
): Promise<LabAttachedHost> {
  checkLabPrefix(prefix);
  checkLabHostName(name);
  if (addresses.length === 0) throw new BulkheadError('ERR_INVALID_VALUE', 'addresses: at least one address is needed');
  return withLabLock(stateDir, async () => {
    const state = await loadUp(prefix, stateDir);
    if (state.hosts.some((h) => h.name === name)) throw new BulkheadError('ERR_NETWORK', `lab host ${name} is already attached`);
    const taken = state.hosts.flatMap((h) => (h.role === 'attached' ? h.addresses : []));
    const addrs: string[] = [];
    for (const a of addresses) addrs.push(checkAttachedAddress(a, [...taken, ...addrs]));
    const owned = opts.netns === undefined;
    const netns = opts.netns ?? labNetns(prefix, name);
    if (owned) {
      if (await netnsExists(netns)) throw new BulkheadError('ERR_NETWORK', `namespace ${netns} already exists`);
      await netnsAdd([netns]);
      await netnsSysctl(netns, SYSCTL_NO_IPV6);
    } else {
      await checkOurs(prefix, netns);
    }
    const router = routerOf(state);
    const rif = routerIfname('attached', name);
    try {
      await vethCreate([{ netns: router, ifname: rif, peerNetns: netns, peerIfname: 'eth0' }]);
      if (!owned) await netnsSysctl(netns, sysctlNoIpv6On('eth0'));
      await configurePointToPoint({ netns, ifname: 'eth0', addresses: addrs }, { netns: router, ifname: rif, addresses: [LAB_ROUTER_RELAY] });
    } catch (e) {
      await linkDelete(router, rif).catch(() => {});
      if (owned) await netnsDelete([netns]).catch(() => {});
      throw e;
    }
    state.hosts.push({ name, role: 'attached', netns, addresses: addrs, names: [], owned, routerIfname: rif });
    await writeLabState(stateDir, state);
    return { netns, ifname: 'eth0', addresses: addrs, gatewayAddr: LAB_ROUTER_RELAY, dns: [LAB_DNS_ADDR] };
  });
}
