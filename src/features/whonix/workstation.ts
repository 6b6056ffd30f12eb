// A workstation's only link: eth0 ↔ vifN in its gateway, Whonix's fixed addresses, its own defence-in-depth ruleset.
import { BulkheadError } from '../../errors/index.js';
import { workstationRuleset } from '../../gateway/index.js';
import { linkDelete, netnsExists, netnsSysctl, vethCreate, ipBatch } from '../../net/index.js';
import { applyRuleset } from '../../net/nft.js';
import type { DaemonContext } from '../../daemon/context.js';
import { qubeNetns, QUBE_IF, vifName } from '../network/names.js';
import { GW_ADDR, WS_ADDR } from './identity.js';

export async function attachWorkstation(ctx: DaemonContext, name: string, gateway: string): Promise<string> {
  const q = ctx.store.requireQube(name);
  const wns = qubeNetns(ctx, name);
  const gns = qubeNetns(ctx, gateway);
  if (!(await netnsExists(gns))) throw new BulkheadError('ERR_NETWORK', `gateway '${gateway}' is not running`);
  const vif = vifName(q.qid);
  await linkDelete(gns, vif).catch(() => undefined);
  // The workstation's ruleset first, so its link never carries a packet unfiltered.
  await applyRuleset(wns, workstationRuleset({ ifname: QUBE_IF, gatewayAddr: GW_ADDR, workstationAddr: WS_ADDR }));
  await vethCreate([{ netns: wns, ifname: QUBE_IF, peerNetns: gns, peerIfname: vif }]);
  await netnsSysctl(gns, { [`net.ipv6.conf.${vif}.disable_ipv6`]: 1 });
  await ipBatch(
    [
      'link set lo up',
      `link set ${QUBE_IF} up`,
      `address add ${WS_ADDR}/32 dev ${QUBE_IF}`,
      `route add ${GW_ADDR}/32 dev ${QUBE_IF} scope link src ${WS_ADDR}`,
      `route add default via ${GW_ADDR} dev ${QUBE_IF} onlink src ${WS_ADDR}`,
    ],
    { netns: wns },
  );
  // Gateway side: its address on the link, no main-table route back (replies are routed by connection mark).
  await ipBatch([`link set ${vif} up`, `address add ${GW_ADDR}/32 dev ${vif}`], { netns: gns });
  return vif;
}

export async function detachWorkstation(ctx: DaemonContext, name: string, gateway: string): Promise<void> {
  const q = ctx.store.getQube(name);
  if (!q) return;
  const gns = qubeNetns(ctx, gateway);
  if (await netnsExists(gns)) await linkDelete(gns, vifName(q.qid)).catch(() => undefined);
}
