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
  /** The netvm's virtual DNS addresses (what the qube has in resolv.conf), either family. */
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

interface Part { family: IpFamily | null; text: string }

/** Checks an address from the caller and returns it in canonical text with its family. */
export function checkAddress(what: string, text: string, family?: IpFamily): { family: IpFamily; text: string } {
  const a = typeof text === 'string' ? parseAddress(text) : null;
  if (!a || (family !== undefined && a.family !== family)) {
    throw new BulkheadError('ERR_FIREWALL', `${what}: '${String(text).slice(0, 60)}' is not an IPv${family ?? '4 or IPv6'} address`);
  }
  return { family: a.family, text: formatAddress(a.family, a.bytes) };
}

function addressSet(family: IpFamily, addrs: readonly string[], original = false): Part | null {
  const list = [...new Set(addrs)];
  if (list.length === 0) return null;
  const key = `${original ? 'ct original ' : ''}${family === 4 ? 'ip' : 'ip6'} daddr`;
  return { family, text: list.length === 1 ? `${key} ${list[0]}` : `${key} { ${list.join(', ')} }` };
}

/** Destination matches: [] = matches nothing; [{family:null,text:''}] = any destination. */
function destinations(rule: FirewallRule, t: QubeFirewallTarget): Part[] {
  const byFamily = (addrs: readonly string[], what: string, original = false): Part[] => {
    const v4: string[] = [];
    const v6: string[] = [];
    for (const a of addrs) {
      const c = checkAddress(what, a);
      (c.family === 4 ? v4 : v6).push(c.text);
    }
    return [addressSet(4, v4, original), addressSet(6, v6, original)].filter((p): p is Part => p !== null);
  };
  if (rule.specialtarget === 'dns') {
    // match the destination the qube used: DNS may be DNATed to the upstream resolver before forward
    return byFamily(t.dnsServers.virtual, 'dnsServers.virtual', true);
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
      if (rule.icmptype === undefined) return [{ family: null, text: 'meta l4proto { icmp, ipv6-icmp }' }];
      return [
        { family: 4, text: `icmp type ${rule.icmptype}` },
        { family: 6, text: `icmpv6 type ${rule.icmptype}` },
      ];
    default:
      return [{ family: null, text: ports ? `meta l4proto { tcp, udp } th dport ${portText}` : '' }];
  }
}

/** The nft rule bodies (without `add rule …`) for one firewall rule. */
export function ruleBodies(rule: FirewallRule, t: QubeFirewallTarget): string[] {
  const out: string[] = [];
  for (const d of destinations(rule, t)) {
    for (const p of transports(rule)) {
      if (d.family !== null && p.family !== null && d.family !== p.family) continue;
      out.push([d.text, p.text, VERDICT[rule.action]].filter((s) => s !== '').join(' '));
    }
  }
  return out;
}

/**
 * Commands that flush and redefine the qube's chain in one `nft -f` transaction: the rules in
 * order (first match wins), then the implicit drop. Needs the base table (see base.ts).
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
  lines.push(`${head}counter name "dropped" drop comment "implicit drop"`);
  return lines.join('\n') + '\n';
}

/** The blocked form of a qube's chain, loaded when its rules cannot be: everything is refused. */
export function compileQubeBlocked(qubeName: string, opts: { table?: string } = {}): string {
  const table = checkTable(opts.table ?? DEFAULT_TABLE);
  const chain = qubeChain(qubeName);
  return [
    `add chain inet ${table} ${chain}`,
    `flush chain inet ${table} ${chain}`,
    `add rule inet ${table} ${chain} counter name "blocked" reject with icmpx admin-prohibited comment "blocked"`,
  ].join('\n') + '\n';
}

/** The dsthost names in the rules, which must be resolved before compiling. */
export function hostnamesOf(rules: readonly FirewallRule[]): string[] {
  const names = new Set<string>();
  for (const r of rules) if (r.dsthost?.kind === 'name') names.add(r.dsthost.name);
  return [...names];
}
