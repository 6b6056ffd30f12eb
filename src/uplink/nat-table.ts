// The host's nft table of bulkhead's nat uplinks (pure): forwarding opened only for sys-net's links, their traffic masqueraded out of the NIC.
import { BulkheadError } from '../errors/index.js';
import { checkIfname, checkTable } from '../firewall/names.js';
import { parseIpv4 } from '../model/addresses.js';

export interface NatLink {
  /** Host-side end of the veth to sys-net. */
  veth: string;
  /** The host interface sys-net's traffic leaves through (its default route's). */
  nic: string;
  /** sys-net's address on the veth (/32). */
  sysNetAddr: string;
}

export interface HostNatInput {
  /** The table's name, prefixed with the state directory's prefix. */
  table: string;
  links: readonly NatLink[];
  /** The host forwarded nothing before bulkhead turned ip_forward on: everything but these links stays unforwarded. */
  forwardWasOff: boolean;
}

export function hostNatTableName(prefix: string): string {
  return checkTable(`${prefix}_uplink`);
}

/**
 * One table in the host's namespace; the host's own tables are left alone. Forward: sys-net's new
 * connections out of the NIC only, and their replies; nothing else to or from the veth. When the
 * host had forwarding off, every other forwarded packet is dropped too, so turning ip_forward on
 * opens nothing but sys-net's path. Input: nothing from sys-net reaches the host's own services.
 * Postrouting: masquerade of sys-net's address leaving through the NIC.
 */
export function compileHostNatTable(n: HostNatInput): string {
  const table = checkTable(n.table);
  const fwd: string[] = [];
  const input: string[] = [];
  const post: string[] = [];
  n.links.forEach((l, i) => {
    const veth = checkIfname(l.veth);
    const nic = checkIfname(l.nic);
    if (veth === nic) throw new BulkheadError('ERR_FIREWALL', `links[${i}]: veth and nic are the same interface`);
    if (parseIpv4(l.sysNetAddr) === undefined) throw new BulkheadError('ERR_FIREWALL', `links[${i}].sysNetAddr: '${l.sysNetAddr}' is not an IPv4 address`);
    fwd.push(`    iifname "${veth}" oifname "${nic}" ip saddr ${l.sysNetAddr} ct state new,established,related accept`);
    fwd.push(`    iifname "${nic}" oifname "${veth}" ip daddr ${l.sysNetAddr} ct state established,related accept`);
    fwd.push(`    iifname "${veth}" drop`, `    oifname "${veth}" drop`);
    input.push(`    iifname "${veth}" drop`);
    post.push(`    ip saddr ${l.sysNetAddr} oifname "${nic}" masquerade`);
  });
  if (n.forwardWasOff) fwd.push('    drop');
  return (
    [
      `table ip ${table}`,
      `delete table ip ${table}`,
      `table ip ${table} {`,
      '  chain forward {',
      '    type filter hook forward priority filter; policy accept;',
      ...fwd,
      '  }',
      '  chain input {',
      '    type filter hook input priority filter; policy accept;',
      ...input,
      '  }',
      '  chain postrouting {',
      '    type nat hook postrouting priority srcnat; policy accept;',
      ...post,
      '  }',
      '}',
    ].join('\n') + '\n'
  );
}

/** The text that removes the table (when the last nat uplink goes). */
export function dropHostNatTable(table: string): string {
  const t = checkTable(table);
  return `table ip ${t}\ndelete table ip ${t}\n`;
}
