// A DHCP lease as sys-net's client reports it (untrusted: sys-net parsed the network's answer), checked before the admin applies it (pure).
import { z } from 'zod';
import { BulkheadError } from '../errors/index.js';
import { checkCidr, inSubnet, MAX_DNS } from './config.js';
import { parseIpv4 } from '../model/addresses.js';

export interface Lease {
  /** Address with prefix length, e.g. 192.168.1.57/24. */
  address: string;
  gateway: string;
  dns: string[];
  /** Seconds, as the server gave it; null for none given. */
  leaseS: number | null;
}

/** Bytes of the client's answer the admin reads at most. */
export const MAX_LEASE_TEXT = 4096;

const ip = z.string().max(15);
const report = z
  .object({
    address: ip,
    prefix: z.number().int().min(0).max(32).nullable(),
    routers: z.array(ip).max(8),
    dns: z.array(ip).max(8),
    lease: z.number().int().min(0).max(0xffffffff).nullable(),
    server: z.array(ip).max(1),
  })
  .strict();
const failure = z.object({ error: z.string().max(300) }).strict();

function unicast(a: string): boolean {
  const n = parseIpv4(a);
  return n !== undefined && !a.startsWith('0.') && !a.startsWith('127.') && n < 0xe0000000;
}

/**
 * The last line of the client's output, as a lease: one error line naming what is wrong. A server
 * that gives no subnet mask gets the classful /24 guess never: /32 with an onlink route instead.
 * Resolvers beyond MAX_DNS and non-unicast ones are dropped (none may be left: the caller decides); a
 * lease without a usable router is refused.
 */
export function parseLease(untrustedText: string): Lease {
  const text = untrustedText.slice(0, MAX_LEASE_TEXT).trim();
  const line = text.split('\n').pop() ?? '';
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    throw new BulkheadError('ERR_NETWORK', `DHCP client in sys-net: no lease in its answer (${JSON.stringify(line.slice(0, 80))})`);
  }
  const f = failure.safeParse(json);
  if (f.success) throw new BulkheadError('ERR_NETWORK', `DHCP client in sys-net: ${f.data.error.replace(/[^\x20-\x7e]/g, '?')}`);
  const r = report.safeParse(json);
  if (!r.success)
    throw new BulkheadError('ERR_NETWORK', `DHCP client in sys-net: bad lease: ${r.error.issues[0]?.path.join('.')} ${r.error.issues[0]?.message}`);
  const l = r.data;
  if (!unicast(l.address)) throw new BulkheadError('ERR_NETWORK', `DHCP lease: address '${l.address}' is not a unicast IPv4 address`);
  const prefix = l.prefix === null || l.prefix < 8 ? 32 : l.prefix;
  let address: string;
  try {
    address = checkCidr('address', `${l.address}/${prefix}`);
  } catch (e) {
    throw new BulkheadError('ERR_NETWORK', `DHCP lease: ${(e as Error).message}`);
  }
  const gateway = l.routers.find((g) => unicast(g) && g !== l.address && (prefix === 32 || inSubnet(g, address)));
  if (!gateway) throw new BulkheadError('ERR_NETWORK', `DHCP lease for ${address}: no usable router (${l.routers.join(', ') || 'none given'})`);
  const dns = [...new Set(l.dns.filter(unicast))].slice(0, MAX_DNS);
  return { address, gateway, dns, leaseS: l.lease };
}
