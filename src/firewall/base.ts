// The per-netvm nft table (hooks, isolation, anti-spoofing) and attaching/detaching one qube's link.
import { checkAddress, compileQubeBlocked, compileQubeChain, type CompileOptions, type QubeFirewallTarget } from './compile.js';
import { checkTable, DEFAULT_TABLE, ifnameLiteral, qubeChain } from './names.js';
import type { FirewallRule } from './types.js';

/** Named counters of the base table; `nft list counter inet TABLE NAME` reads them. */
export const COUNTERS = ['spoofed', 'isolated', 'rejected', 'dropped', 'blocked'] as const;

/** Link-local IPv6 a qube may send on its own link (neighbour discovery, MLD, DAD); never forwarded. */
const ND_TYPES = 'nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, mld-listener-report, mld2-listener-report';

/**
 * The whole table for one netvm, replacing any previous one (netvm start). Layout:
 * - prerouting (priority raw): a packet from a qube link passes only if (link, source address)
 *   is in `qube_src4`/`qube_src6` (or is link-local neighbour discovery); the rest is counted
 *   (`spoofed`) and dropped. Being in prerouting it guards forwarded traffic and the netvm itself.
 * - forward (policy drop): invalid dropped; link-to-link traffic counted and dropped
 *   (`isolated`); established/related accepted; then `iifname vmap @firewall` jumps to
 *   `qube-<qube>`; what its rules do not decide comes back and meets the implicit drop
 *   (`dropped`). Anything else forwarded is dropped too.
 * - sets dns4/dns6: the netvm's virtual DNS addresses, used by `specialtarget=dns`.
 * Per qube there is one chain and a few set elements (no per-qube sets: they are slow to load).
 */
export function compileBaseTable(opts: { table?: string; dnsServers?: { virtual: readonly string[] } } = {}): string {
  const table = checkTable(opts.table ?? DEFAULT_TABLE);
  const dns = (opts.dnsServers?.virtual ?? []).map((a) => checkAddress('dnsServers.virtual', a));
  const dnsSet = (f: 4 | 6) => {
    const list = [...new Set(dns.filter((d) => d.family === f).map((d) => d.text))];
    return `  set dns${f} { type ${f === 4 ? 'ipv4_addr' : 'ipv6_addr'};${list.length ? ` elements = { ${list.join(', ')} };` : ''} }`;
  };
  return (
    [
      `table inet ${table}`,
      `delete table inet ${table}`,
      `table inet ${table} {`,
      ...COUNTERS.map((c) => `  counter ${c} { }`),
      '  set qube_links { type ifname; }',
      '  set qube_src4 { type ifname . ipv4_addr; }',
      '  set qube_src6 { type ifname . ipv6_addr; }',
      '  map firewall { type ifname : verdict; }',
      dnsSet(4),
      dnsSet(6),
      '  set dns_l4 { type inet_proto . inet_service; elements = { tcp . 53, udp . 53 }; }',
      '  chain prerouting {',
      '    type filter hook prerouting priority raw; policy accept;',
      '    iifname != @qube_links accept',
      '    iifname . ip saddr @qube_src4 accept',
      '    iifname . ip6 saddr @qube_src6 accept',
      `    ip6 saddr { ::, fe80::/10 } icmpv6 type { ${ND_TYPES} } accept`,
      '    counter name "spoofed" drop',
      '  }',
      '  chain forward {',
      '    type filter hook forward priority filter; policy drop;',
      '    ct state invalid drop',
      '    iifname @qube_links oifname @qube_links counter name "isolated" drop',
      '    ct state established,related accept',
      '    iifname vmap @firewall',
      '    counter name "dropped" drop',
      '  }',
      // The netvm itself offers its downstream qubes nothing but ICMP and replies (Qubes does the same).
      '  chain input {',
      '    type filter hook input priority filter; policy accept;',
      '    iifname != @qube_links accept',
      '    ct state established,related accept',
      '    meta l4proto { icmp, ipv6-icmp } accept',
      '    counter name "dropped" drop',
      '  }',
      '}',
    ].join('\n') + '\n'
  );
}

/** What identifies a qube's link in the netvm's table. */
export type QubeLinkKey = Pick<QubeFirewallTarget, 'qubeName' | 'ifname' | 'qubeIPv4' | 'qubeIPv6'>;

function elements(t: QubeLinkKey, table: string, verb: 'add' | 'delete'): string[] {
  const ifn = ifnameLiteral(t.ifname);
  const lines = [
    `${verb} element inet ${table} firewall { ${ifn}${verb === 'add' ? ` : jump ${qubeChain(t.qubeName)}` : ''} }`,
    `${verb} element inet ${table} qube_src4 { ${ifn} . ${checkAddress('qubeIPv4', t.qubeIPv4, 4).text} }`,
  ];
  if (t.qubeIPv6 !== null) lines.push(`${verb} element inet ${table} qube_src6 { ${ifn} . ${checkAddress('qubeIPv6', t.qubeIPv6, 6).text} }`);
  lines.push(`${verb} element inet ${table} qube_links { ${ifn} }`);
  return verb === 'add' ? lines : lines.reverse();
}

/**
 * Everything a qube's link needs in its netvm, in one transaction: its firewall chain with the
 * rules, its source addresses, and the map entry that sends the link's traffic to the chain.
 * `rules` = 'blocked' attaches the link with the blocked chain (fail closed).
 * A stale map entry for the same interface name (a link not detached) makes the load fail.
 */
export function compileQubeAttach(t: QubeFirewallTarget, rules: readonly FirewallRule[] | 'blocked', opts: CompileOptions): string {
  const table = checkTable(opts.table ?? DEFAULT_TABLE);
  const chain = rules === 'blocked' ? compileQubeBlocked(t.qubeName, opts) : compileQubeChain(t, rules, opts);
  return chain + elements(t, table, 'add').join('\n') + '\n';
}

/** Removes a qube's set elements and chain (the link is going away). */
export function compileQubeDetach(t: QubeLinkKey, opts: { table?: string } = {}): string {
  const table = checkTable(opts.table ?? DEFAULT_TABLE);
  const chain = qubeChain(t.qubeName);
  return [...elements(t, table, 'delete'), `flush chain inet ${table} ${chain}`, `delete chain inet ${table} ${chain}`].join('\n') + '\n';
}

/** Replaces the netvm's virtual DNS addresses in @dns4/@dns6 (one transaction). */
export function compileDnsServers(dnsServers: { virtual: readonly string[] }, opts: { table?: string } = {}): string {
  const table = checkTable(opts.table ?? DEFAULT_TABLE);
  const dns = dnsServers.virtual.map((a) => checkAddress('dnsServers.virtual', a));
  const lines = [`flush set inet ${table} dns4`, `flush set inet ${table} dns6`];
  for (const f of [4, 6] as const) {
    const list = [...new Set(dns.filter((d) => d.family === f).map((d) => d.text))];
    if (list.length) lines.push(`add element inet ${table} dns${f} { ${list.join(', ')} }`);
  }
  return lines.join('\n') + '\n';
}
