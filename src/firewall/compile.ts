// Compiles one qube's rules to the nft commands that atomically redefine its chain in the netvm.
import { BulkheadError } from '../errors/index.js';
import { formatAddress, networkText, parseAddress, type IpFamily } from './ip.js';
import { isExpired } from './list.js';
import { checkTable, DEFAULT_TABLE, qubeChain } from './names.js';
import type { FirewallRule } from './types.js';

/** The netvm-side view of one qube's link, as the compiler needs it. */
export interface QubeFirewallTarget {
  qubeName: string;
  qubeIPv4: string;
  qubeIPv6: string | null;
  /** The netvm-side end of the qube's link. */
  ifname: string;
  /**
   * The netvm's virtual DNS addresses (what the qube has in resolv.conf), either family. The
   * chain refers to the base table's @dns4/@dns6 sets, which hold the same addresses.
   */
  dnsServers: { virtual: readonly string[] };
  /** Addresses of every dsthost name in the rules, resolved when the rules are applied. */
  resolved: ReadonlyMap<string, readonly string[]>;
}

export interface CompileOptions {
  /** Unix seconds: rules whose expire time has come are left out. */
  now: number;
  /** nft table (family inet) in the netvm's namespace; default `bulkhead`. */
  table?: string;
}

/** Nft verdict text of Qubes' actions: drop answers ICMP(v6) admin-prohibited. */
const VERDICT = {
  accept: 'accept',
  drop: 'counter name "rejected" reject with icmpx admin-prohibited',
} as const;

interface Part {
  family: IpFamily | null;
  text: string;
  /** The match does not imply its family by itself: add `meta nfproto` unless the destination does. */
  nfproto?: boolean;
}

/** Checks an address from the caller and returns it in canonical text with its family. */
export function checkAddress(what: string, text: string, family?: IpFamily): { family: IpFamily; text: string } {
  const a = typeof text === 'string' ? parseAddress(text) : null;
  if (!a || (family !== undefined && a.family !== family)) {
    throw new BulkheadError('ERR_FIREWALL', `${what}: '${String(text).slice(0, 60)}' is not an IPv${family ?? '4 or IPv6'} address`);
  }
  return { family: a.family, text: formatAddress(a.family, a.bytes) };
}

/** Up to this many addresses become one rule each; more share one anonymous set (sets cost more to load). */
const EXPAND_MAX = 8;

function addressMatches(family: IpFamily, addrs: readonly string[]): Part[] {
  const list = [...new Set(addrs)];
  const key = `${family === 4 ? 'ip' : 'ip6'} daddr`;
  if (list.length > EXPAND_MAX) return [{ family, text: `${key} { ${list.join(', ')} }` }];
  return list.map((a) => ({ family, text: `${key} ${a}` }));
}

/** Destination matches: [] = matches nothing; [{family:null,text:''}] = any destination. */
function destinations(rule: FirewallRule, t: QubeFirewallTarget): Part[] {
  const byFamily = (addrs: readonly string[], what: string): Part[] => {
    const v4: string[] = [];
    const v6: string[] = [];
    for (const a of addrs) {
      const c = checkAddress(what, a);
      (c.family === 4 ? v4 : v6).push(c.text);
    }
    return [...addressMatches(4, v4), ...addressMatches(6, v6)];
  };
  if (rule.specialtarget === 'dns') {
    // The addresses live in the base table's sets @dns4/@dns6 (one copy per netvm, cheap to
    // load); match the destination the qube used, as DNS may be DNATed before forward.
    const families = new Set(t.dnsServers.virtual.map((a) => checkAddress('dnsServers.virtual', a).family));
    return [4, 6]
      .filter((f) => families.has(f as IpFamily))
      .map((f) => ({
        family: f as IpFamily,
        text: `ct original ${f === 4 ? 'ip' : 'ip6'} daddr @dns${f}`,
      }));
  }
  const h = rule.dsthost;
  if (!h) return [{ family: null, text: '' }];
  if (h.kind === 'ip') return [{ family: h.family, text: `${h.family === 4 ? 'ip' : 'ip6'} daddr ${networkText(h)}` }];
  const addrs = t.resolved.get(h.name);
  if (addrs === undefined) throw new BulkheadError('ERR_FIREWALL', `dsthost ${h.name} was not resolved`);
  return byFamily(addrs, `address of ${h.name}`);
}

/** Protocol/port matches, each possibly tied to one family. */
function transports(rule: FirewallRule): Part[] {
  const ports = rule.specialtarget === 'dns' ? { from: 53, to: 53 } : rule.dstports;
  const portText = ports ? (ports.from === ports.to ? `${ports.from}` : `${ports.from}-${ports.to}`) : '';
  switch (rule.proto) {
    case 'tcp':
    case 'udp':
      return [{ family: null, text: ports ? `${rule.proto} dport ${portText}` : `meta l4proto ${rule.proto}` }];
    case 'icmp':
      if (rule.icmptype === undefined) {
        // `meta l4proto` alone does not tie the family (an IPv6 packet may carry protocol 1)
        return [
          { family: 4, text: 'meta l4proto icmp', nfproto: true },
          { family: 6, text: 'meta l4proto ipv6-icmp', nfproto: true },
        ];
      }
      return [
        { family: 4, text: `icmp type ${rule.icmptype}` },
        { family: 6, text: `icmpv6 type ${rule.icmptype}` },
      ];
    default:
      // only specialtarget=dns has ports without a protocol: tcp and udp port 53
      if (!ports) return [{ family: null, text: '' }];
      return [{ family: null, text: 'meta l4proto . th dport @dns_l4' }];
  }
}

/** The nft rule bodies (without `add rule …`) for one firewall rule. */
export function ruleBodies(rule: FirewallRule, t: QubeFirewallTarget): string[] {
  const out: string[] = [];
  for (const d of destinations(rule, t)) {
    for (const p of transports(rule)) {
      if (d.family !== null && p.family !== null && d.family !== p.family) continue;
      const nfproto = p.nfproto && d.family === null ? `meta nfproto ipv${p.family}` : '';
      out.push([d.text, nfproto, p.text, VERDICT[rule.action]].filter((s) => s !== '').join(' '));
    }
  }
  return out;
}

/**
 * Commands that flush and redefine the qube's chain in one `nft -f` transaction: the rules in
 * order (first match wins). A packet that matches none returns to the base forward chain, whose
 * next rule is the implicit drop (one rule per netvm, not per qube). Needs the base table.
 */
export function compileQubeChain(t: QubeFirewallTarget, rules: readonly FirewallRule[], opts: CompileOptions): string {
  const table = checkTable(opts.table ?? DEFAULT_TABLE);
  const chain = qubeChain(t.qubeName);
  const head = `add rule inet ${table} ${chain} `;
  const lines = [`add chain inet ${table} ${chain}`, `flush chain inet ${table} ${chain}`];
  rules.forEach((rule, i) => {
    if (isExpired(rule, opts.now)) return;
    for (const body of ruleBodies(rule, t)) lines.push(`${head}${body} comment "rule ${i}"`);
  });
  return lines.join('\n') + '\n';
}

/** The blocked form of a qube's chain, loaded when its rules cannot be: everything is refused. */
export function compileQubeBlocked(qubeName: string, opts: { table?: string } = {}): string {
  const table = checkTable(opts.table ?? DEFAULT_TABLE);
  const chain = qubeChain(qubeName);
  return (
    [
      `add chain inet ${table} ${chain}`,
      `flush chain inet ${table} ${chain}`,
      `add rule inet ${table} ${chain} counter name "blocked" reject with icmpx admin-prohibited comment "blocked"`,
    ].join('\n') + '\n'
  );
}

/** The dsthost names in the rules, which must be resolved before compiling. */
export function hostnamesOf(rules: readonly FirewallRule[]): string[] {
  const names = new Set<string>();
  for (const r of rules) if (r.dsthost?.kind === 'name') names.add(r.dsthost.name);
  return [...names];
}
