// Qubes' address plan: a qube's IPv4/IPv6 from its qid (disposables from their dispid), the netvm-side gateway and the virtual DNS.
import { BulkheadError } from '../errors/index.js';

/** Qubes' networks: app qubes, disposables, and the two virtual DNS addresses every netvm answers. */
export const QUBE_NET4 = '10.137.0.0/16';
export const DISP_NET4 = '10.138.0.0/16';
export const VIRTUAL_DNS4 = ['10.139.1.1', '10.139.1.2'] as const;
/** Qubes' site-local IPv6 prefix; the suffix `a89`/`a8a` echoes 10.137./10.138. */
export const QUBE_PREFIX6 = 'fd09:24ef:4179:0000';
/** Every qube address is a host address: /32 with a host route to the gateway, never a shared subnet. */
export const QUBE_NETMASK4 = '255.255.255.255';

const MAX_ID = 0xffff;

function checkId(field: 'qid' | 'dispid', id: number): number {
  if (!Number.isInteger(id) || id < 1 || id > MAX_ID) {
    throw new BulkheadError('ERR_INVALID_VALUE', `${field}: ${String(id)} is not an integer in 1..${MAX_ID}`, { field });
  }
  return id;
}

/** Qubes' `get_ip_for_vm`: 10.137.(qid>>8).(qid&0xff). */
export function qubeIpv4(qid: number): string {
  const q = checkId('qid', qid);
  return `10.137.${(q >> 8) & 0xff}.${q & 0xff}`;
}

/** A disposable's address: 10.138.(dispid>>8).(dispid&0xff). */
export function dispIpv4(dispid: number): string {
  const d = checkId('dispid', dispid);
  return `10.138.${(d >> 8) & 0xff}.${d & 0xff}`;
}

/** Qubes' `get_ip6_for_vm` for an app qube: PREFIX::a89:QID (hex). */
export function qubeIpv6(qid: number): string {
  return `fd09:24ef:4179::a89:${checkId('qid', qid).toString(16)}`;
}

/** Qubes' `get_ip6_for_vm` for a disposable: PREFIX::a8a:DISPID (hex). */
export function dispIpv6(dispid: number): string {
  return `fd09:24ef:4179::a8a:${checkId('dispid', dispid).toString(16)}`;
}

/** Which number names a qube on the network: its qid, or its dispid if it is a disposable. */
export type NetIdentity = { qid: number; dispid?: undefined } | { dispid: number; qid?: number };

/** The address a qube has on its link (Qubes: `ip`, also `visible_ip`). */
export function addressOf(q: NetIdentity): string {
  return q.dispid !== undefined ? dispIpv4(q.dispid) : qubeIpv4(q.qid);
}

/** The address of one point-to-point link between a qube and its netvm, both sides. */
export interface QubeLinkPlan {
  /** The qube's own address (/32 on its side of the link). */
  address: string;
  /** The netvm's address, also /32 on the netvm's side of this link: the qube's default gateway. */
  gateway: string;
  netmask: string;
  /** Where the qube sends DNS; the netvm DNATs these to its upstream resolver. */
  dns: readonly [string, string];
}

/**
 * Qubes: a netvm's `gateway` is its own visible address; a downstream qube gets its own /32, a host
 * route to that gateway and a default route through it; the netvm holds the gateway /32 on the
 * qube's link and a host route to the qube's address.
 */
export function qubeLinkPlan(qube: NetIdentity, netvm: NetIdentity): QubeLinkPlan {
  const address = addressOf(qube);
  const gateway = addressOf(netvm);
  if (address === gateway) {
    throw new BulkheadError('ERR_INVALID_VALUE', `netvm: a qube cannot be its own netvm (${address})`);
  }
  return { address, gateway, netmask: QUBE_NETMASK4, dns: [VIRTUAL_DNS4[0], VIRTUAL_DNS4[1]] };
}

/** Dotted IPv4 → 32-bit number, or undefined if the text is not exactly an IPv4 address. */
export function parseIpv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i] as string;
    if (part.length > 1 && part.startsWith('0')) return undefined;
    const o = Number(part);
    if (o > 255) return undefined;
    n = n * 256 + o;
  }
  return n;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
}

/** Is `addr` inside `cidr` (e.g. "10.137.0.0/16")? Throws on malformed input. */
export function ipv4InCidr(addr: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const b = parseIpv4(base ?? '');
  const bits = Number(bitsText);
  const a = parseIpv4(addr);
  if (b === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) {
    throw new BulkheadError('ERR_INVALID_VALUE', `"${cidr}" is not an IPv4 prefix`);
  }
  if (a === undefined) throw new BulkheadError('ERR_INVALID_VALUE', `"${addr}" is not an IPv4 address`);
  if (bits === 0) return true;
  const mask = (0xffffffff << (32 - bits)) >>> 0;
  return (a & mask) >>> 0 === (b & mask) >>> 0;
}
