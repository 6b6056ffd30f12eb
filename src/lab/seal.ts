// The structural sealing check: inventory every link and route of the prefixed namespaces and the host, then judge it.
import { BulkheadError } from '../errors/index.js';
import { judgeSealing, type SealReport } from '../model/sealing.js';
import { prefixInventory } from '../net/index.js';

/**
 * Every link of every namespace whose name starts with `prefix` is `lo` or a veth whose peer is in
 * another such namespace; every route leaves through such a link; the host has no interface of ours.
 * Never sends a packet.
 */
export async function labCheckSealed(prefix: string): Promise<SealReport> {
  if (prefix.length < 2) throw new BulkheadError('ERR_INVALID_VALUE', `prefix: "${prefix}" is too short to name only our namespaces`);
  return judgeSealing(await prefixInventory(prefix));
}
