// nftables ruleset of a gateway qube: a proxy, not a router; each link reaches only its own listeners.
import type { GatewayInput, GatewayPlan, WorkstationPlan } from './types.js';
import { planGateway } from './port-plan.js';
import { counters, hygiene, replaceTable } from './nft-common.js';
import { ifname, uid } from './validate.js';

export const DEFAULT_GATEWAY_TABLE = 'bulkhead_gw';

/** Every drop reason of the gateway ruleset has a named counter. */
export const GATEWAY_DROP_COUNTERS = [
  'drop_ipv6', // any IPv6 packet, any direction, except loopback
  'drop_spoofed', // a workstation link packet whose source is not that workstation's address
  'drop_invalid', // conntrack state invalid
  'drop_tcp_flags', // NULL, XMAS, SYN+FIN, SYN+RST, FIN+RST
  'drop_fragment', // IPv4 fragments
  'drop_ws_icmp', // ICMP from a workstation
  'drop_ws_udp', // UDP from a workstation other than DNS
  'drop_ws_tcp', // TCP from a workstation to a port not redirected to its own listener
  'drop_ws_other', // any other protocol from a workstation
  'drop_uplink_in', // anything from the uplink that is not a reply to tor
  'drop_input', // anything else arriving at the gateway
  'drop_forward', // anything routed through the gateway (forwarding is off)
  'drop_output', // anything the gateway sends that is not tor on the uplink or a reply to a workstation
] as const;

const q = (s: string) => `"${s}"`;

function natChain(ws: WorkstationPlan): string[] {
  const lines = [`\tchain nat_ws${ws.index} {`];
  const gw = ws.gatewayAddr;
  const byPort = ws.listeners.filter((l) => l.kind === 'socks' || l.kind === 'control');
  const facing = byPort.map((l) => l.facingPort).join(', ');
  const map = byPort.map((l) => `${l.facingPort} : ${l.port}`).join(', ');
  lines.push(`\t\tip daddr ${gw} tcp dport { ${facing} } dnat ip to ${gw} : tcp dport map { ${map} }`);
  const dns = ws.listeners.find((l) => l.kind === 'dns');
  const trans = ws.listeners.find((l) => l.kind === 'trans');
  if (!dns || !trans) throw new Error('plan without dns/trans listener');
  lines.push(`\t\tudp dport 53 dnat ip to ${gw}:${dns.port}`);
  lines.push(`\t\ttcp flags & (fin|syn|rst|ack) == syn dnat ip to ${gw}:${trans.port}`);
  lines.push('\t}');
  return lines;
}

function inputChain(ws: WorkstationPlan): string[] {
  const tcp = ws.listeners.filter((l) => l.kind !== 'dns').map((l) => l.port);
  const dns = ws.listeners.filter((l) => l.kind === 'dns').map((l) => l.port);
  return [
    `\tchain in_ws${ws.index} {`,
    `\t\tct status dnat ip daddr ${ws.gatewayAddr} tcp dport { ${tcp.join(', ')} } accept`,
    `\t\tct status dnat ip daddr ${ws.gatewayAddr} udp dport { ${dns.join(', ')} } accept`,
    '\t\tmeta l4proto icmp counter name drop_ws_icmp drop',
    '\t\tmeta l4proto udp counter name drop_ws_udp drop',
    '\t\tmeta l4proto tcp counter name drop_ws_tcp drop',
    '\t\tcounter name drop_ws_other drop',
    '\t}',
  ];
}

/** The ruleset text; `nft -f` loads it atomically (replacing an older version of the same table). */
export function gatewayRuleset(input: GatewayInput, plan: GatewayPlan = planGateway(input)): string {
  const uplink = ifname('uplink', input.uplink);
  const torUid = uid('torUid', input.torUid);
  const wss = plan.workstations;
  const links = wss.map((w) => q(w.ifname)).join(', ');
  // Chains are named by the workstation's index in the plan: names like anon-1 and anon_1 must never merge.
  const vmap = (prefix: string) => wss.map((w) => `${q(w.ifname)} : jump ${prefix}_ws${w.index}`).join(', ');
  const body: string[] = [
    ...counters(GATEWAY_DROP_COUNTERS),
    '',
    '\t# IPv6 is not proxied: dropped everywhere but loopback. Spoofed workstation sources dropped before NAT.',
    '\tchain raw_pre {',
    '\t\ttype filter hook prerouting priority raw; policy accept;',
    '\t\tiif lo accept',
    '\t\tmeta nfproto ipv6 counter name drop_ipv6 drop',
    ...wss.map((w) => `\t\tiifname ${q(w.ifname)} ip saddr != ${w.workstationAddr} counter name drop_spoofed drop`),
    // tor 0.4.9 crashes on a DNS datagram shorter than the DNS header: never let one reach its DNSPort.
    ...wss.map((w) => `\t\tiifname ${q(w.ifname)} udp dport 53 udp length < 20 counter name drop_ws_udp drop`),
    '\t}',
    '',
    '\t# Replies leave by the link the connection came in on, even when every workstation has the same address.',
    '\tchain mark_pre {',
    '\t\ttype filter hook prerouting priority mangle; policy accept;',
    ...wss.map((w) => `\t\tiifname ${q(w.ifname)} ct mark set ${w.mark}`),
    '\t}',
    '\tchain mark_out {',
    '\t\ttype route hook output priority mangle; policy accept;',
    '\t\tct mark != 0 meta mark set ct mark',
    '\t}',
    '',
    '\t# From each link: its SocksPorts and control filter by port, UDP/53 to its DNSPort, other TCP to its TransPort.',
    '\tchain nat_pre {',
    '\t\ttype nat hook prerouting priority dstnat; policy accept;',
    `\t\tiifname vmap { ${vmap('nat')} }`,
    '\t}',
    ...wss.flatMap(natChain),
    '',
    '\tchain input {',
    '\t\ttype filter hook input priority filter; policy drop;',
    '\t\tiif lo accept',
    '\t\tmeta nfproto ipv6 counter name drop_ipv6 drop',
    ...hygiene(),
    `\t\tiifname ${q(uplink)} ct state established,related accept`,
    `\t\tiifname ${q(uplink)} counter name drop_uplink_in drop`,
    `\t\tiifname vmap { ${vmap('in')} }`,
    '\t\tcounter name drop_input drop',
    '\t}',
    ...wss.flatMap(inputChain),
    '',
    '\tchain forward {',
    '\t\ttype filter hook forward priority filter; policy drop;',
    '\t\tmeta nfproto ipv6 counter name drop_ipv6 drop',
    '\t\tcounter name drop_forward drop',
    '\t}',
    '',
    '\t# Only tor may open connections on the uplink (later packets of them may have no socket, e.g. in TIME-WAIT);',
    '\t# workstations get replies only.',
    '\tchain output {',
    '\t\ttype filter hook output priority filter; policy drop;',
    '\t\toif lo accept',
    '\t\tmeta nfproto ipv6 counter name drop_ipv6 drop',
    ...hygiene(),
    `\t\toifname ${q(uplink)} meta skuid ${torUid} accept`,
    `\t\toifname ${q(uplink)} ct state established ct direction original accept`,
    // Replies to a workstation are told apart by the link's connection mark, not by oifname: the
    // output hook sees the route chosen before mark_out re-routes the packet to the link's table.
    ...wss.map((w) => `\t\tct mark ${w.mark} ip saddr ${w.gatewayAddr} ip daddr ${w.workstationAddr} ct state established,related accept`),
    '\t\tcounter name drop_output drop',
    '\t}',
    '',
    '\t# After the final route: a reply leaves only by the link of its connection, never by the uplink.',
    '\tchain post {',
    '\t\ttype filter hook postrouting priority filter; policy accept;',
    ...wss.map((w) => `\t\tct mark ${w.mark} oifname != ${q(w.ifname)} counter name drop_output drop`),
    ...[...new Set(wss.map((w) => w.workstationAddr))].map((a) => `\t\toifname ${q(uplink)} ip daddr ${a} counter name drop_output drop`),
    '\t}',
  ];
  return replaceTable('inet', input.tableName ?? DEFAULT_GATEWAY_TABLE, body);
}
