// Defence-in-depth ruleset inside a workstation: only TCP and DNS towards its gateway leave it.
import { counters, hygiene, replaceTable } from './nft-common.js';
import { ifname, ipv4 } from './validate.js';

export const DEFAULT_WORKSTATION_TABLE = 'bulkhead_ws';

export interface WorkstationFirewallInput {
  /** The workstation's only link (towards its gateway). */
  ifname: string;
  gatewayAddr: string;
  workstationAddr: string;
  /**
   * true (default): TCP to any address may leave by the gateway link (the gateway's TransPort
   * proxies it). false: TCP only to the gateway address (SOCKS-only workstation).
   */
  transparentProxy?: boolean;
  tableName?: string;
}

export const WORKSTATION_DROP_COUNTERS = ['drop_ipv6', 'drop_invalid', 'drop_tcp_flags', 'drop_fragment', 'drop_input', 'drop_forward', 'drop_output'] as const;

export function workstationRuleset(input: WorkstationFirewallInput): string {
  const link = ifname('ifname', input.ifname);
  const gw = ipv4('gatewayAddr', input.gatewayAddr);
  const me = ipv4('workstationAddr', input.workstationAddr);
  const tcpTo = input.transparentProxy === false ? `ip daddr ${gw} ` : '';
  return replaceTable('inet', input.tableName ?? DEFAULT_WORKSTATION_TABLE, [
    ...counters(WORKSTATION_DROP_COUNTERS),
    '\tchain input {',
    '\t\ttype filter hook input priority filter; policy drop;',
    '\t\tiif lo accept',
    '\t\tmeta nfproto ipv6 counter name drop_ipv6 drop',
    ...hygiene(),
    `\t\tiifname "${link}" ip daddr ${me} ct state established,related accept`,
    '\t\tcounter name drop_input drop',
    '\t}',
    '\tchain forward {',
    '\t\ttype filter hook forward priority filter; policy drop;',
    '\t\tcounter name drop_forward drop',
    '\t}',
    '\tchain output {',
    '\t\ttype filter hook output priority filter; policy drop;',
    '\t\toif lo accept',
    '\t\tmeta nfproto ipv6 counter name drop_ipv6 drop',
    ...hygiene(),
    `\t\toifname "${link}" ip saddr ${me} ${tcpTo}meta l4proto tcp accept`,
    `\t\toifname "${link}" ip saddr ${me} ip daddr ${gw} udp dport 53 accept`,
    '\t\tcounter name drop_output drop',
    '\t}',
  ]);
}
