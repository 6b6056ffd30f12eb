// nat host uplink: the host keeps its network; a veth from the host side to sys-net, its traffic masqueraded out of the NIC in bulkhead's own nft table.
import { BulkheadError } from '../../errors/index.js';
import { checkIfname, checkNetnsName, netnsSysctl, p2pLines, sysctlNoIpv6On, ipBatch } from '../index.js';
import type { UplinkPaths } from './record.js';
import { compileHostNatTable, dropHostNatTable, hostNatTableName } from '../../uplink/index.js';
import { SYSNET_IF, describeHost, faultPoint, hostIp, hostRun, hostSysctlGet, hostSysctlSet, type HostSide } from './host-side.js';
import { readNic } from './nic-state.js';
import { allRecords, dropForward, dropRecord, readForward, saveForward, saveRecord, type NatRecord } from './record.js';

/** The host's end of every nat veth, and sys-net's address on it: point-to-point /32s beside Qubes' virtual DNS range. */
export const NAT_HOST_ADDR = '10.139.254.1';
export function natSysNetAddr(qid: number): string {
  return `10.139.254.${2 + (qid % 250)}`;
}
export function natVethName(prefix: string, qid: number): string {
  return checkIfname(`${prefix}-u${qid}`);
}

async function nft(side: HostSide, text: string): Promise<void> {
  for (const args of [
    ['-c', '-f', '-'],
    ['-f', '-'],
  ]) {
    const r = await hostRun(side, 'nft', args, { input: text, allowFail: true, timeoutMs: 30_000 });
    if (r.code !== 0) throw new BulkheadError('ERR_FIREWALL', `nft ${args[0]} on the host side: ${r.stderr.trim().split('\n').slice(0, 3).join(' | ')}`);
  }
}

/** Load (or, with no nat uplink left, remove) the host's table from the records of this state directory's nat uplinks on this host side. */
async function syncTable(ctx: UplinkPaths, side: HostSide): Promise<void> {
  const recs = (await allRecords(ctx)).filter((r): r is NatRecord => r.mode === 'nat' && r.hostNetns === side.netns);
  const table = hostNatTableName(ctx.prefix);
  if (recs.length === 0) {
    const has = await hostRun(side, 'nft', ['list', 'table', 'ip', table], { allowFail: true, timeoutMs: 10_000 });
    if (has.code === 0) await nft(side, dropHostNatTable(table));
    return;
  }
  const fwd = await readForward(ctx);
  await nft(
    side,
    compileHostNatTable({ table, links: recs.map((r) => ({ veth: r.veth, nic: r.nic, sysNetAddr: r.sysNetAddr })), forwardWasOff: fwd?.previous === '0' }),
  );
}

/**
 * Wire a nat uplink: the record first (so any failure after it is undone by releaseNat), ip_forward's
 * previous value kept by the first nat uplink, the veth born in both namespaces, point-to-point
 * addresses, the table, and only then ip_forward on.
 */
export async function attachNat(ctx: UplinkPaths, side: HostSide, qube: string, qid: number, ns: string, nic: string): Promise<void> {
  checkNetnsName(ns);
  if (!(await readNic(side, nic))) throw new BulkheadError('ERR_NETWORK', `host uplink of '${qube}': ${describeHost(side)} has no interface ${nic}`);
  const rec: NatRecord = {
    mode: 'nat',
    qube,
    hostNetns: side.netns,
    nic,
    veth: natVethName(ctx.prefix, qid),
    sysNetAddr: natSysNetAddr(qid),
    hostAddr: NAT_HOST_ADDR,
  };
  await saveRecord(ctx, rec);
  if (!(await readForward(ctx))) {
    const previous = await hostSysctlGet(side, 'net.ipv4.ip_forward');
    await saveForward(ctx, { hostNetns: side.netns, previous: previous === '1' ? '1' : '0' });
  }
  await hostIp(side, [`link delete ${rec.veth}`], { force: true }); // a leftover of a crash
  await hostIp(side, [`link add ${rec.veth} type veth peer name ${SYSNET_IF} netns ${ns}`]);
  faultPoint(side, 'nat-veth');
  // A host without IPv6 has no such key: nothing to switch off there.
  await hostSysctlSet(side, `net.ipv6.conf.${rec.veth}.disable_ipv6`, '1').catch(() => undefined);
  await netnsSysctl(ns, sysctlNoIpv6On(SYSNET_IF));
  const down = { netns: ns, ifname: SYSNET_IF, addresses: [rec.sysNetAddr] };
  const up = { netns: ns, ifname: rec.veth, addresses: [rec.hostAddr] };
  await ipBatch(p2pLines(down, up, { defaultRoute: true, loUp: true }), { netns: ns });
  await hostIp(side, p2pLines(up, down));
  await syncTable(ctx, side);
  faultPoint(side, 'nat-forward');
  await hostSysctlSet(side, 'net.ipv4.ip_forward', '1');
}

/** Undo attachNat (any part of it): the veth goes, the table is rewritten without it; the last one restores ip_forward and removes the table. */
export async function releaseNat(ctx: UplinkPaths, side: HostSide, rec: NatRecord): Promise<void> {
  await hostIp(side, [`link delete ${checkIfname(rec.veth)}`], { force: true });
  await dropRecord(ctx, rec.qube);
  const left = (await allRecords(ctx)).filter((r) => r.mode === 'nat' && r.hostNetns === side.netns);
  const fwd = await readForward(ctx);
  // Forwarding goes off before the table that confines it goes away.
  if (left.length === 0 && fwd && fwd.hostNetns === side.netns) await hostSysctlSet(side, 'net.ipv4.ip_forward', fwd.previous);
  await syncTable(ctx, side);
  if (left.length === 0) await dropForward(ctx);
}
