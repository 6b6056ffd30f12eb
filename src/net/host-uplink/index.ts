// Public surface of net/host-uplink/: the host side of sys-net's host uplink (the NIC moved and given back, the nat veth and table, their records).
import { BulkheadError } from '../../errors/index.js';
import { describeHost, type HostSide } from './host-side.js';
import { allRecords, type UplinkPaths } from './record.js';

export { checkHostSide, describeHost, hostIpJson, hostResolvConfs, hostSide, HOST_NETNS_ENV, SYSNET_IF, type HostSide } from './host-side.js';
export { readNic } from './nic-state.js';
export { releaseExclusive, takeNic } from './exclusive.js';
export { attachNat, releaseNat } from './nat.js';
export { allRecords, readRecord, type UplinkPaths, type UplinkRecord } from './record.js';

/** Refuse a NIC a running sys-net holds (exclusive: it is no longer on the host; nat: it routes that sys-net); `except` is the qube being started. */
export async function checkNicFree(paths: UplinkPaths, side: HostSide, nic: string, except: string | null): Promise<void> {
  const by = (await allRecords(paths)).find((r) => r.nic === nic && r.hostNetns === side.netns && r.qube !== except);
  if (by)
    throw new BulkheadError('ERR_QUBE_IN_USE', `${nic} on ${describeHost(side)} is in use by the running ${by.qube} (${by.mode} uplink); shut it down first`);
}
