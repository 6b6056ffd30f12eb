// Exclusive host uplink (Qubes' model): the host's NIC moves into sys-net's namespace and back, under its own name, with its state.
import { BulkheadError } from '../../errors/index.js';
import { checkIfname, ipBatch, netnsSysctl, sysctlNoIpv6On } from '../index.js';
import type { UplinkPaths } from './record.js';
import type { HostUplinkConfig } from '../../uplink/index.js';
import { SYSNET_IF, describeHost, faultPoint, hostIp, hostNetnsRef, type HostSide } from './host-side.js';
import { readNic, restoreNic } from './nic-state.js';
import { dropRecord, saveRecord, type ExclusiveRecord } from './record.js';

interface RawLink {
  ifname?: string;
  address?: string;
}

/**
 * Move `cfg.nic` from the host side into `ns` as eth0, IPv6 off, up; static settings applied here
 * (DHCP runs once the qube is up). The record is written before the move, so a failure at any later
 * step — or a stop — gives the NIC back with giveBackNic.
 */
export async function takeNic(ctx: UplinkPaths, side: HostSide, qube: string, ns: string, cfg: HostUplinkConfig & { nic: string }): Promise<void> {
  const nic = checkIfname(cfg.nic);
  const st = await readNic(side, nic);
  if (!st) throw new BulkheadError('ERR_NETWORK', `host uplink of '${qube}': ${describeHost(side)} has no interface ${nic}`);
  if (st.kind === 'loopback' || st.kind === 'bridge' || st.kind === 'bond' || st.kind === 'vlan' || st.kind === 'macvlan') {
    throw new BulkheadError('ERR_NETWORK', `host uplink of '${qube}': ${nic} is a ${st.kind}, not a NIC that can move to sys-net; use --mode nat`);
  }
  const rec: ExclusiveRecord = {
    mode: 'exclusive',
    qube,
    hostNetns: side.netns,
    nic,
    mac: st.mac,
    wasUp: st.up,
    addrs: st.addrs,
    routes: st.routes,
    ...(st.mtu !== undefined ? { mtu: st.mtu } : {}),
  };
  await saveRecord(ctx, rec);
  const moved: Error | null = await hostIp(side, [`link set dev ${nic} netns ${ns}`]).then(
    () => null,
    (e: unknown) => e as Error,
  );
  if (moved) {
    // Wi-Fi devices of many drivers refuse to change namespace (the wiphy must move with iw): say what to do.
    throw new BulkheadError(
      'ERR_NETWORK',
      `host uplink of '${qube}': ${nic} cannot move to sys-net's namespace (${moved.message.trim().slice(0, 160)}); Wi-Fi devices often cannot: use --mode nat`,
    );
  }
  faultPoint(side, 'exclusive-moved');
  await netnsSysctl(ns, sysctlNoIpv6On(nic)); // before it is up under any name: no IPv6 address ever appears in sys-net
  const lines = [`link set dev ${nic} name ${SYSNET_IF}`, `link set dev ${SYSNET_IF} up`];
  const s = cfg.settings;
  if (s.address && s.gateway) lines.push(`address add ${s.address} dev ${SYSNET_IF}`, `route add default via ${s.gateway} dev ${SYSNET_IF} onlink`);
  await ipBatch(lines, { netns: ns });
  faultPoint(side, 'exclusive-configured');
}

/**
 * Give the NIC back: found in sys-net by its MAC (whatever its name there), down, addresses flushed,
 * renamed to its own name, moved to the host side — before sys-net's namespace is deleted (a veth
 * would be destroyed with it, a physical device would land in the init namespace, possibly renamed).
 * Then its state, addresses and routes on the host are put back.
 */
export async function giveBackNic(side: HostSide, ns: string | null, rec: ExclusiveRecord): Promise<void> {
  if (ns !== null) {
    const out = await ipBatch(['link show'], { netns: ns, json: true, force: true }).catch(() => '');
    const links = out.trim() ? (JSON.parse(out.trim().split('\n')[0]!) as RawLink[]) : [];
    const here =
      links.find((l) => rec.mac !== '' && l.address === rec.mac && l.ifname !== 'lo') ??
      (rec.mac === '' ? links.find((l) => l.ifname === SYSNET_IF) : undefined);
    if (here?.ifname) {
      const cur = checkIfname(here.ifname);
      const lines = [`link set dev ${cur} down`, `address flush dev ${cur}`];
      if (cur !== rec.nic) lines.push(`link set dev ${cur} name ${rec.nic}`);
      lines.push(`link set dev ${rec.nic} netns ${hostNetnsRef(side)}`);
      await ipBatch(lines, { netns: ns }).catch((e: unknown) => {
        throw new BulkheadError('ERR_NETWORK', `could not give ${rec.nic} back to the host: ${(e as Error).message}`);
      });
    }
  }
  const back = await readNic(side, rec.nic);
  if (!back) throw new BulkheadError('ERR_NETWORK', `${rec.nic} is not back on ${describeHost(side)}`);
  await restoreNic(side, rec.nic, { up: rec.wasUp, ...(rec.mtu !== undefined ? { mtu: rec.mtu } : {}), addrs: rec.addrs, routes: rec.routes });
}

export async function releaseExclusive(ctx: UplinkPaths, side: HostSide, qube: string, ns: string | null, rec: ExclusiveRecord): Promise<void> {
  await giveBackNic(side, ns, rec);
  await dropRecord(ctx, qube);
}
