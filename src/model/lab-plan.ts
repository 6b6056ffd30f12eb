// The lab world's address plan: namespace names, host addresses in the documentation ranges, DNS records, uplink and relay slots.
import { BulkheadError } from '../errors/index.js';
import { formatIpv4, ipv4InCidr, parseIpv4 } from './addresses.js';

/** RFC 5737 documentation ranges: never routed on the real internet, so a leak is obvious. */
export const LAB_SERVICES_NET = '192.0.2.0/24'; // TEST-NET-1: router, web, other, dns
export const LAB_UPLINK_NET = '198.51.100.0/24'; // TEST-NET-2: one address per attached sys-net
export const LAB_RELAY_NET = '203.0.113.0/24'; // TEST-NET-3: reserved for the private Tor network and other attached hosts

/** The router holds the first address of each range on every link into that range (point-to-point /32s). */
export const LAB_ROUTER_SERVICES = '192.0.2.1';
export const LAB_ROUTER_UPLINK = '198.51.100.1';
export const LAB_ROUTER_RELAY = '203.0.113.1';

export const LAB_DNS_ADDR = '192.0.2.53';

export type LabHostRole = 'router' | 'web' | 'dns';

export interface LabHostPlan {
  /** Short host name, also the suffix of its namespace name. */
  name: string;
  role: LabHostRole;
  /** The host's own address (router: every address it holds). */
  addresses: string[];
  /** DNS names answered with this host's first address. */
  names: string[];
}

/** The fixed hosts of the lab; `*.lab.test` not listed here resolves to the web host. */
export const LAB_HOSTS: readonly LabHostPlan[] = [
  { name: 'router', role: 'router', addresses: [LAB_ROUTER_SERVICES, LAB_ROUTER_UPLINK, LAB_ROUTER_RELAY], names: ['router.lab.test'] },
  {
    name: 'web',
    role: 'web',
    addresses: ['192.0.2.10'],
    names: ['web.lab.test', 'www.lab.test', 'lab.test', 'example.com', 'www.example.com', 'example.org', 'example.net'],
  },
  { name: 'other', role: 'web', addresses: ['192.0.2.20'], names: ['other.lab.test', 'blocked.lab.test'] },
  { name: 'dns', role: 'dns', addresses: [LAB_DNS_ADDR], names: ['dns.lab.test', 'ns.lab.test'] },
];

/** Wildcard: any other name under these domains resolves to the web host (A only). */
export const LAB_WILDCARD_DOMAINS = ['lab.test'] as const;
export const LAB_WILDCARD_TARGET = '192.0.2.10';

/** A prefix names every namespace of one bulkhead instance or test run; short, since interface names are 15 bytes. */
const PREFIX = /^[a-z][a-z0-9-]{0,15}$/;
const HOST_NAME = /^[a-z][a-z0-9]{0,9}$/;

export function checkLabPrefix(prefix: string): string {
  if (!PREFIX.test(prefix)) {
    throw new BulkheadError('ERR_INVALID_VALUE', `prefix: "${prefix}" must be 1-16 characters a-z0-9 or -, starting with a letter`);
  }
  return prefix;
}

export function checkLabHostName(name: string): string {
  if (!HOST_NAME.test(name) || LAB_HOSTS.some((h) => h.name === name)) {
    throw new BulkheadError('ERR_INVALID_VALUE', `name: "${name}" must be 1-10 characters a-z0-9, starting with a letter, and not a fixed lab host`);
  }
  return name;
}

/** Namespace of a lab host: PREFIX-lab-NAME. */
export function labNetns(prefix: string, host: string): string {
  return `${checkLabPrefix(prefix)}-lab-${host}`;
}

/** Router-side interface names: `h-NAME` to a fixed host, `u-N` to an uplink, `a-NAME` to an attached host. */
export function routerIfname(kind: 'host' | 'uplink' | 'attached', id: string | number): string {
  const n = kind === 'host' ? `h-${id}` : kind === 'uplink' ? `u-${id}` : `a-${id}`;
  if (n.length > 15) throw new BulkheadError('ERR_INVALID_VALUE', `interface name "${n}" is longer than 15 bytes`);
  return n;
}

/** Uplink slot N (1..253) → the sys-net side address 198.51.100.(N+1). */
export function uplinkAddress(slot: number): string {
  if (!Number.isInteger(slot) || slot < 1 || slot > 253) {
    throw new BulkheadError('ERR_INVALID_VALUE', `uplink slot ${slot} is outside 1..253`);
  }
  return formatIpv4((parseIpv4(LAB_ROUTER_UPLINK) as number) + slot);
}

/** The lowest uplink slot not in `used`. */
export function nextUplinkSlot(used: readonly number[]): number {
  for (let s = 1; s <= 253; s++) if (!used.includes(s)) return s;
  throw new BulkheadError('ERR_NETWORK', 'every lab uplink slot (253) is in use');
}

/** An attached host's address must be in the relay range, not the router's, and not taken. */
export function checkAttachedAddress(addr: string, taken: readonly string[]): string {
  if (parseIpv4(addr) === undefined) throw new BulkheadError('ERR_INVALID_VALUE', `address: "${addr}" is not an IPv4 address`);
  if (!ipv4InCidr(addr, LAB_RELAY_NET) || addr === LAB_ROUTER_RELAY || addr.endsWith('.0') || addr.endsWith('.255')) {
    throw new BulkheadError('ERR_INVALID_VALUE', `address: ${addr} is not a host address in ${LAB_RELAY_NET} other than ${LAB_ROUTER_RELAY}`);
  }
  if (taken.includes(addr)) throw new BulkheadError('ERR_INVALID_VALUE', `address: ${addr} is already attached to the lab`);
  return addr;
}

/** dnsmasq arguments that answer exactly the lab's names and NXDOMAIN for everything else. */
export function dnsmasqArgs(opts: { pidFile: string; logFile: string }): string[] {
  const args = [
    '--conf-file=/dev/null',
    '--no-resolv',
    '--no-hosts',
    '--no-poll',
    '--keep-in-foreground',
    `--pid-file=${opts.pidFile}`,
    `--log-facility=${opts.logFile}`,
    `--listen-address=${LAB_DNS_ADDR}`,
    '--bind-interfaces',
    '--user=root',
    '--group=root',
    '--cache-size=0',
  ];
  for (const h of LAB_HOSTS) for (const n of h.names) args.push(`--host-record=${n},${h.addresses[0] as string}`);
  for (const d of LAB_WILDCARD_DOMAINS) args.push(`--address=/${d}/${LAB_WILDCARD_TARGET}`);
  // Every name not answered above is local-only, hence NXDOMAIN: nothing is ever forwarded.
  args.push('--local=/#/');
  return args;
}
