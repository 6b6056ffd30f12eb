// Turns a qube's namespace into a netvm: forwarding table with isolation, NAT, and (sys-net) its uplink: the lab or the host's network.
import { BulkheadError } from '../../errors/index.js';
import { compileNatTable } from '../../firewall/index.js';
import { VIRTUAL_DNS4 } from '../../model/addresses.js';
import { applyRuleset, loadFirewallBase } from '../../net/nft.js';
import { labAttachUplink, labDetachUplink } from '../../lab/index.js';
import { labStateDir } from '../../lab/index.js';
import type { DaemonContext } from '../../daemon/context.js';
import { setUpstream } from './links.js';
import { configFromFeatures } from '../../uplink/index.js';
import { attachHostUplink, configureByDhcp, detachHostUplink } from './uplink/attach.js';
import { resumeRenewals } from './uplink/renew.js';
import { qubeNetns, QUBE_IF } from './names.js';

/** Which uplink a netvm has: `lab` (the sealed lab world), `host` (the host's network) or none (it has a netvm of its own). */
export function uplinkOf(ctx: DaemonContext, name: string): 'lab' | 'host' | null {
  const u = ctx.store.requireQube(name).features['uplink'];
  if (u === undefined || u === '') return null;
  if (u === 'lab' || u === 'host') return u;
  throw new BulkheadError('ERR_INVALID_VALUE', `feature uplink of '${name}': '${u}' is not lab or host`);
}

/** Load the netvm's tables in its namespace before it starts; sys-net also gets its uplink. */
export async function setupNetvm(ctx: DaemonContext, name: string, ns: string, hasNetvm: boolean): Promise<void> {
  await loadFirewallBase(ns, { dnsServers: { virtual: VIRTUAL_DNS4 } });
  const uplink = uplinkOf(ctx, name);
  if (uplink === 'host') {
    if (hasNetvm) throw new BulkheadError('ERR_INVALID_VALUE', `'${name}' has both a netvm and an uplink`);
    const up = await attachHostUplink(ctx, name, ns);
    setUpstream(name, up.dns?.[0] ?? null);
    // Until DHCP has told sys-net its resolvers (postStart), the virtual DNS goes nowhere.
    await applyRuleset(ns, compileNatTable({ uplinkIf: QUBE_IF, virtualDns: VIRTUAL_DNS4, upstreamDns: up.dns }));
    return;
  }
  if (uplink === 'lab') {
    if (hasNetvm) throw new BulkheadError('ERR_INVALID_VALUE', `'${name}' has both a netvm and an uplink`);
    const up = await labAttachUplink(ctx.prefix, labStateDir(ctx.paths.home), ns, { ifname: QUBE_IF });
    setUpstream(name, up.dns[0] ?? null);
    await applyRuleset(ns, compileNatTable({ uplinkIf: QUBE_IF, virtualDns: VIRTUAL_DNS4, upstreamDns: up.dns }));
    return;
  }
  setUpstream(name, null);
  await applyRuleset(ns, compileNatTable({ uplinkIf: QUBE_IF, virtualDns: VIRTUAL_DNS4, upstreamDns: null }));
}

/** What a new set of resolvers for sys-net changes: its own lookups and the virtual DNS of the qubes behind it. */
function useResolvers(name: string, ns: string): (dns: string[]) => Promise<void> {
  return async (dns) => {
    setUpstream(name, dns[0] ?? null);
    await applyRuleset(ns, compileNatTable({ uplinkIf: QUBE_IF, virtualDns: VIRTUAL_DNS4, upstreamDns: dns }));
  };
}

/** After a daemon restart: DHCP renewals of running sys-nets on the host's network start again. */
export async function resumeNetvms(ctx: DaemonContext): Promise<void> {
  await resumeRenewals(
    ctx,
    (q) => qubeNetns(ctx, q),
    (q) => useResolvers(q, qubeNetns(ctx, q)),
  );
}

/** Once sys-net runs: a host uplink by DHCP gets its lease from the client in sys-net, and the virtual DNS its resolvers. */
export async function finishNetvm(ctx: DaemonContext, name: string, ns: string): Promise<void> {
  if (uplinkOf(ctx, name) !== 'host') return;
  const cfg = configFromFeatures(name, ctx.store.requireQube(name).features);
  if (cfg.mode !== 'exclusive' || cfg.settings.address !== null) return;
  const useDns = useResolvers(name, ns);
  await useDns(await configureByDhcp(ctx, name, ns, cfg, useDns));
}

export async function teardownNetvm(ctx: DaemonContext, name: string, ns: string): Promise<void> {
  setUpstream(name, null);
  // Whatever a host uplink changed on the host goes back before the namespace is deleted (the NIC first of all).
  await detachHostUplink(ctx, name, ns);
  if (uplinkOf(ctx, name) === 'lab') await labDetachUplink(ctx.prefix, labStateDir(ctx.paths.home), ns).catch(() => undefined);
}
