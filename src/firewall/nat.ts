// The netvm's NAT table: DNS to the virtual resolvers goes upstream, forwarded traffic leaves masqueraded (pure).
import { BulkheadError } from '../errors/index.js';
import { checkIfname, checkTable } from './names.js';
import { parseIPv4 } from './ip.js';

export interface NatInput {
  table?: string;
  /** The netvm's uplink interface (towards its own netvm or the lab). */
  uplinkIf: string;
  /** Virtual DNS addresses the qubes use (10.139.1.1, 10.139.1.2). */
  virtualDns: readonly string[];
  /** Upstream resolvers, same count or one; null = forward to the virtual addresses unchanged (chained netvms). */
  upstreamDns: readonly string[] | null;
}

export const NAT_TABLE = 'bulkhead_nat';

/**
 * Qubes does the same in every netvm: DNAT of the virtual DNS addresses to the netvm's own
 * resolvers, MASQUERADE of what leaves through the uplink. The netvm itself never listens on them.
 */
export function compileNatTable(n: NatInput): string {
  const table = checkTable(n.table ?? NAT_TABLE);
  const up = checkIfname(n.uplinkIf);
  const v4 = (a: string, f: string) => {
    if (!parseIPv4(a)) throw new BulkheadError('ERR_FIREWALL', `${f}: '${a}' is not an IPv4 address`);
    return a;
  };
  const lines = [
    `table ip ${table}`,
    `delete table ip ${table}`,
    `table ip ${table} {`,
    '  chain prerouting {',
    '    type nat hook prerouting priority dstnat; policy accept;',
  ];
  if (n.upstreamDns && n.upstreamDns.length) {
    n.virtualDns.forEach((v, i) => {
      const target = v4(n.upstreamDns![Math.min(i, n.upstreamDns!.length - 1)]!, `upstreamDns[${i}]`);
      for (const proto of ['udp', 'tcp']) lines.push(`    ip daddr ${v4(v, `virtualDns[${i}]`)} ${proto} dport 53 dnat to ${target}`);
    });
  }
  lines.push('  }', '  chain postrouting {', '    type nat hook postrouting priority srcnat; policy accept;', `    oifname "${up}" masquerade`, '  }', '}');
  return lines.join('\n') + '\n';
}
