// Turns a qube's namespace into a netvm: forwarding table with isolation, NAT, and (sys-net) the lab uplink.
import { BulkheadError } from '../../errors/index.js';
import { compileNatTable } from '../../firewall/index.js';
import { VIRTUAL_DNS4 } from '../../model/addresses.js';
import { applyRuleset, loadFirewallBase } from '../../net/nft.js';
import { labAttachUplink, labDetachUplink } from '../../lab/index.js';
import { labStateDir } from '../../lab/index.js';
import type { DaemonContext } from '../../daemon/context.js';
import { QUBE_IF } from './names.js';
import { setUpstream } from './links.js';

/** Which uplink a netvm has: `lab` (the sealed lab world) or none (it has a netvm of its own). */
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
    throw new BulkheadError('ERR_NETWORK', `uplink 'host' of '${name}' is for real machines and is not wired by this build; use 'lab'`);
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

export async function teardownNetvm(ctx: DaemonContext, name: string, ns: string): Promise<void> {
  setUpstream(name, null);
  if (uplinkOf(ctx, name) === 'lab') await labDetachUplink(ctx.prefix, labStateDir(ctx.paths.home), ns).catch(() => undefined);
}
