// The host uplink of a sys-net: wired at its start and unwired at its stop, from its features and the host side this daemon was given.
import { BulkheadError } from '../../../errors/index.js';
import { ipBatch, netnsSysctl } from '../../../net/index.js';
import {
  attachNat,
  checkHostSide,
  checkNicFree,
  hostResolvConfs,
  hostSide,
  readRecord,
  releaseExclusive,
  releaseNat,
  takeNic,
  type HostSide,
  type UplinkPaths,
} from '../../../net/host-uplink/index.js';
import type { DaemonContext } from '../../../daemon/context.js';
import { execIn } from '../../whonix/exec-in.js';
import { QUBE_IF } from '../names.js';
import { configFromFeatures, parseLease, usableResolvers, type HostUplinkConfig, type Lease, MAX_LEASE_TEXT } from '../../../uplink/index.js';
import { cancelRenewal, scheduleRenewal } from './renew.js';
import { DHCP_CLIENT_SOURCE } from './dhcp-client.js';

/** The state directory's run directory and prefix, as the host side's records need them. */
export function uplinkPaths(ctx: DaemonContext): UplinkPaths {
  return { runDir: ctx.paths.runDir, prefix: ctx.prefix };
}

/** How long sys-net's DHCP client waits for a lease. */
export const DHCP_TIMEOUT_S = 12;

export interface HostUplinkUp {
  dns: string[] | null;
  dhcp: boolean;
}

/** Wire sys-net's host uplink before it starts (preStart): exclusive takes the NIC, nat makes the veth. */
export async function attachHostUplink(ctx: DaemonContext, qube: string, ns: string): Promise<HostUplinkUp> {
  const side = hostSide();
  await checkHostSide(ctx.paths.home, ctx.prefix, side);
  const q = ctx.store.requireQube(qube);
  const cfg = configFromFeatures(qube, q.features);
  await checkNicFree(uplinkPaths(ctx), side, cfg.nic, qube);
  // A record of this qube's own is a leftover of a crash: undo it before wiring again.
  await detachHostUplink(ctx, qube, ns);
  if (cfg.mode === 'exclusive') {
    await takeNic(uplinkPaths(ctx), side, qube, ns, cfg);
    const dhcp = cfg.settings.address === null;
    return { dns: dhcp ? null : cfg.settings.dns, dhcp };
  }
  const dns = cfg.settings.dns.length ? cfg.settings.dns : usableResolvers(await hostResolvConfs(side));
  if (dns.length === 0)
    throw new BulkheadError(
      'ERR_NETWORK',
      `host uplink of '${qube}': the host has no DNS server sys-net can reach (only loopback ones); give one: init --uplink host --mode nat --dns IP`,
    );
  await attachNat(uplinkPaths(ctx), side, qube, q.qid, ns, cfg.nic);
  return { dns, dhcp: false };
}

/** Run the DHCP client in sys-net (as its user, no capability) and check the lease it reports. */
export async function requestLease(ctx: DaemonContext, qube: string, ns: string): Promise<Lease> {
  const out = await ipBatch([`link show dev ${QUBE_IF}`], { netns: ns, json: true });
  const mac = (JSON.parse(out.trim().split('\n')[0] ?? '[]') as { address?: string }[])[0]?.address ?? '';
  if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(mac)) throw new BulkheadError('ERR_NETWORK', `host uplink of '${qube}': ${QUBE_IF} has no Ethernet address`);
  await netnsSysctl(ns, { 'net.ipv4.ip_unprivileged_port_start': 68 });
  const r = await execIn(ctx, qube, ['python3', '-c', DHCP_CLIENT_SOURCE, QUBE_IF, mac, String(DHCP_TIMEOUT_S)], {
    user: 'user',
    timeoutMs: (DHCP_TIMEOUT_S + 10) * 1000,
  });
  return parseLease((r.stdout || r.stderr).slice(0, MAX_LEASE_TEXT));
}

/** The resolvers sys-net uses: the configured ones, else the lease's; none is an error. */
export function resolversOf(cfg: HostUplinkConfig, lease: Lease): string[] {
  const dns = cfg.settings.dns.length ? cfg.settings.dns : lease.dns;
  if (dns.length === 0)
    throw new BulkheadError('ERR_NETWORK', `DHCP lease for ${lease.address}: no DNS server given; give sys-net one with init --uplink host --dns IP`);
  return dns;
}

/**
 * First lease at sys-net's start: applied to eth0; renewed from then on (renew.ts), each renewal
 * handing changed resolvers to `onDns`. Returns the resolvers.
 */
export async function configureByDhcp(
  ctx: DaemonContext,
  qube: string,
  ns: string,
  cfg: HostUplinkConfig,
  onDns: (dns: string[]) => Promise<void>,
): Promise<string[]> {
  const lease = await requestLease(ctx, qube, ns);
  const dns = resolversOf(cfg, lease);
  await ipBatch([`address add ${lease.address} dev ${QUBE_IF}`, `route replace default via ${lease.gateway} dev ${QUBE_IF} onlink`], { netns: ns });
  ctx.log.info({ qube, address: lease.address, gateway: lease.gateway, dns, leaseS: lease.leaseS }, 'host uplink: DHCP lease');
  scheduleRenewal(ctx, qube, ns, cfg, lease, onDns);
  return dns;
}

/** Unwire whatever the record says this sys-net's uplink changed (nothing without a record); `ns` is sys-net's namespace, if it still exists. */
export async function detachHostUplink(ctx: DaemonContext, qube: string, ns: string | null): Promise<void> {
  cancelRenewal(qube);
  const rec = await readRecord(uplinkPaths(ctx), qube);
  if (!rec) return;
  const side: HostSide = { netns: rec.hostNetns };
  if (rec.mode === 'exclusive') await releaseExclusive(uplinkPaths(ctx), side, qube, ns, rec);
  else await releaseNat(uplinkPaths(ctx), side, rec);
}
