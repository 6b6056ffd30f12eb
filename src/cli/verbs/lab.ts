// `bulkhead lab up|down|status [--json]`: the sealed lab world that stands in for the internet (the daemon owns it, under its prefix).
import type { LabStatus } from '../../contract/lab.js';
import { apiClient } from '../client.js';
import { table } from '../output.js';

type Out = { stdout: string; exitCode: number };

/** The lab's status as the CLI prints it. */
export function labStatusText(st: LabStatus): string {
  const rows = st.hosts.map((h) => [
    h.name,
    h.netns,
    h.addresses.join(','),
    h.names.join(','),
    h.running === undefined ? '-' : h.running ? `pid ${h.pid}` : 'stopped',
  ]);
  let out = `lab ${st.up ? 'up' : 'down'}${st.prefix ? ` (prefix ${st.prefix})` : ''}\n`;
  if (rows.length) out += table(rows, ['HOST', 'NETNS', 'ADDRESSES', 'NAMES', 'SERVER']);
  for (const u of st.uplinks) out += `uplink ${u.netns}/${u.ifname} ${u.address} via ${u.gateway}\n`;
  if (st.caCert && st.up) out += `CA certificate: ${st.caCert}\n`;
  for (const p of st.up ? [] : st.problems) out += `  ${p}\n`;
  return out;
}

/** JSON: the lab's status and its Tor network. `status` exits 1 when the lab is not up. */
export async function labStatusVerb(o: { json?: boolean }): Promise<Out> {
  const r = await apiClient().call('lab.status');
  const exitCode = r.lab.up ? 0 : 1;
  if (o.json) return { stdout: JSON.stringify({ ...r.lab, tor: r.tor }, null, 2) + '\n', exitCode };
  const tor = r.tor ? `tor network: ${r.tor.nodes.length} nodes, onion ${r.tor.onionAddress}\n` : 'tor network: down\n';
  return { stdout: labStatusText(r.lab) + tor, exitCode };
}

export async function labUpVerb(o: { json?: boolean; tor?: boolean }): Promise<Out> {
  const r = await apiClient().call('lab.up', { query: { tor: o.tor === false ? 'false' : 'true' } });
  const exitCode = r.lab.up ? 0 : 1;
  if (o.json) return { stdout: JSON.stringify(r.lab, null, 2) + '\n', exitCode };
  const tor = r.tor ? `tor network ready: ${r.tor.nodes} nodes, onion ${r.tor.onionAddress} (${(r.tor.ms / 1000).toFixed(1)} s)\n` : '';
  return { stdout: `${labStatusText(r.lab)}(${r.ms} ms)\n${tor}`, exitCode };
}

export async function labDownVerb(o: { json?: boolean }): Promise<Out> {
  const r = await apiClient().call('lab.down');
  if (o.json) return { stdout: JSON.stringify({ up: false, ...r }) + '\n', exitCode: 0 };
  return { stdout: `lab down: ${r.stopped.length} process(es) stopped, ${r.namespaces.length} namespace(s) removed\n`, exitCode: 0 };
}
