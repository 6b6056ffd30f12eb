// `bulkhead lab up|down|status [--json]`: the sealed lab world that stands in for the internet.
import { join } from 'node:path';
import { labDown, labStatus, labUp, type LabStatus } from '../../lab/index.js';
import { table } from '../output.js';

export type LabAction = 'up' | 'down' | 'status';

/** The lab's state lives in $BULKHEAD_HOME/lab. */
export function labStateDir(home: string): string {
  return join(home, 'lab');
}

function statusText(st: LabStatus): string {
  const rows = st.hosts.map((h) => [h.name, h.netns, h.addresses.join(','), h.names.join(','), h.running === undefined ? '-' : h.running ? `pid ${h.pid}` : 'stopped']);
  let out = `lab ${st.up ? 'up' : 'down'}${st.prefix ? ` (prefix ${st.prefix})` : ''}\n`;
  if (rows.length) out += table(rows, ['HOST', 'NETNS', 'ADDRESSES', 'NAMES', 'SERVER']);
  for (const u of st.uplinks) out += `uplink ${u.netns}/${u.ifname} ${u.address} via ${u.gateway}\n`;
  if (st.caCert && st.up) out += `CA certificate: ${st.caCert}\n`;
  for (const p of st.up ? [] : st.problems) out += `  ${p}\n`;
  return out;
}

/** JSON shape: {up, prefix, hosts:[{name, netns, addresses, ...}], uplinks, caCert, problems}. `status` exits 1 when the lab is not up. */
export async function labCommand(action: LabAction, opts: { json: boolean; home: string; prefix: string }): Promise<{ stdout: string; exitCode: number }> {
  const dir = labStateDir(opts.home);
  if (action === 'down') {
    const r = await labDown(opts.prefix, dir);
    if (opts.json) return { stdout: JSON.stringify({ up: false, ...r }) + '\n', exitCode: 0 };
    return { stdout: `lab down: ${r.stopped.length} process(es) stopped, ${r.namespaces.length} namespace(s) removed\n`, exitCode: 0 };
  }
  const started = Date.now();
  const st = action === 'up' ? await labUp(opts.prefix, dir) : await labStatus(opts.prefix, dir);
  const exitCode = st.up ? 0 : 1;
  if (opts.json) return { stdout: JSON.stringify(st, null, 2) + '\n', exitCode };
  const took = action === 'up' ? `(${Date.now() - started} ms)\n` : '';
  return { stdout: statusText(st) + took, exitCode };
}
