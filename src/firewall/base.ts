// The per-netvm nft table (hooks, isolation, anti-spoofing) and attaching/detaching one qube's link.
import { checkAddress, compileQubeBlocked, compileQubeChain, type CompileOptions, type QubeFirewallTarget } from './compile.js';
import { checkTable, DEFAULT_TABLE, ifnameLiteral, linkChain, qubeChain } from './names.js';
import type { FirewallRule } from './types.js';

/** Named counters of the base table; `nft list counter inet TABLE NAME` reads them. */
export const COUNTERS = ['spoofed', 'isolated', 'rejected', 'dropped', 'blocked'] as const;

/**
 * The whole table for one netvm, replacing any previous one (netvm start). Layout:
 * - prerouting (priority raw): `iifname vmap @ingress` jumps to `link-<qube>`, which returns for
 *   the qube's own source addresses (and IPv6 link-local neighbour discovery) and counts and drops
 *   the rest (`spoofed`). Being in prerouting it guards both forwarded traffic and the netvm itself.
 * - forward (policy drop): invalid dropped; link-to-link traffic counted and dropped
 *   (`isolated`); established/related accepted; then `iifname vmap @firewall` jumps to
 *   `qube-<qube>`, whose rules end in an implicit drop. Anything else forwarded is dropped.
 */
export function compileBaseTable(opts: { table?: string } = {}): string {
  const table = checkTable(opts.table ?? DEFAULT_TABLE);
  return [
    `table inet ${table}`,
    `delete table inet ${table}`,
    `table inet ${table} {`,
    ...COUNTERS.map((c) => `  counter ${c} { }`),
    '  set qube_links { type ifname; }',
    '  map ingress { type ifname : verdict; }',
    '  map firewall { type ifname : verdict; }',
    '  chain prerouting {',
    '    type filter hook prerouting priority raw; policy accept;',
    '    iifname vmap @ingress',
    '  }',
    '  chain forward {',
    '    type filter hook forward priority filter; policy drop;',
    '    ct state invalid drop',
    '    iifname @qube_links oifname @qube_links counter name "isolated" drop',
    '    ct state established,related accept',
    '    iifname vmap @firewall',
    '  }',
    '}',
  ].join('\n') + '\n';
}

/** Link-local IPv6 sources a qube may use on its own link (neighbour discovery, MLD, DAD). */
const ND_TYPES = 'nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, mld-listener-report, mld2-listener-report';

/** The anti-spoofing chain of a qube's link. */
export function compileLinkChain(t: QubeFirewallTarget, opts: { table?: string } = {}): string {
  const table = checkTable(opts.table ?? DEFAULT_TABLE);
  const chain = linkChain(t.qubeName);
  const head = `add rule inet ${table} ${chain} `;
  const lines = [`add chain inet ${table} ${chain}`, `flush chain inet ${table} ${chain}`];
  lines.push(`${head}ip saddr ${checkAddress('qubeIPv4', t.qubeIPv4, 4).text} return`);
  if (t.qubeIPv6 !== null) lines.push(`${head}ip6 saddr ${checkAddress('qubeIPv6', t.qubeIPv6, 6).text} return`);
  lines.push(`${head}ip6 saddr { ::, fe80::/10 } icmpv6 type { ${ND_TYPES} } return`);
  lines.push(`${head}counter name "spoofed" drop`);
  return lines.join('\n') + '\n';
}

/**
 * Everything a qube's link needs in its netvm, in one transaction: anti-spoofing chain,
 * firewall chain with the rules, and the map entries that send the link's traffic to them.
 * `rules` = 'blocked' attaches the link with the blocked chain (fail closed).
 * A stale entry for the same interface name (a link not detached) makes the load fail: detach first.
 */
export function compileQubeAttach(t: QubeFirewallTarget, rules: readonly FirewallRule[] | 'blocked', opts: CompileOptions): string {
  const table = checkTable(opts.table ?? DEFAULT_TABLE);
  const ifn = ifnameLiteral(t.ifname);
  return (
    compileLinkChain(t, opts) +
    (rules === 'blocked' ? compileQubeBlocked(t.qubeName, opts) : compileQubeChain(t, rules, opts)) +
    [
      `add element inet ${table} qube_links { ${ifn} }`,
      `add element inet ${table} ingress { ${ifn} : jump ${linkChain(t.qubeName)} }`,
      `add element inet ${table} firewall { ${ifn} : jump ${qubeChain(t.qubeName)} }`,
    ].join('\n') + '\n'
  );
}

/** Removes a qube's map entries and chains (the link is going away). */
export function compileQubeDetach(qubeName: string, ifname: string, opts: { table?: string } = {}): string {
  const table = checkTable(opts.table ?? DEFAULT_TABLE);
  const ifn = ifnameLiteral(ifname);
  return [
    `delete element inet ${table} firewall { ${ifn} }`,
    `delete element inet ${table} ingress { ${ifn} }`,
    `delete element inet ${table} qube_links { ${ifn} }`,
    `flush chain inet ${table} ${qubeChain(qubeName)}`,
    `delete chain inet ${table} ${qubeChain(qubeName)}`,
    `flush chain inet ${table} ${linkChain(qubeName)}`,
    `delete chain inet ${table} ${linkChain(qubeName)}`,
  ].join('\n') + '\n';
}
