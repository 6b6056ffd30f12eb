// When sys-net asks for its DHCP lease again, and what changes on eth0 when the answer differs (pure).
import type { Lease } from './lease.js';

/** Renew at half the lease (RFC 2131's T1), not sooner than a minute, not later than a day; retry a failed renewal after a minute. */
export const RENEW_MIN_S = 60;
export const RENEW_MAX_S = 86_400;
export const RENEW_RETRY_S = 60;

export function renewalDelayS(leaseS: number | null): number {
  if (leaseS === null || leaseS === 0xffffffff) return RENEW_MAX_S; // no time or "infinite": still look once a day
  return Math.min(RENEW_MAX_S, Math.max(RENEW_MIN_S, Math.floor(leaseS / 2)));
}

/** ip batch lines (in sys-net) that move eth0 from the old lease to the new one; none when address and router are the same. */
export function leaseChangeLines(ifname: string, old: Lease, next: Lease): string[] {
  if (old.address === next.address && old.gateway === next.gateway) return [];
  const lines: string[] = [];
  if (old.address !== next.address) lines.push(`address add ${next.address} dev ${ifname}`, `address del ${old.address} dev ${ifname}`);
  lines.push(`route replace default via ${next.gateway} dev ${ifname} onlink`);
  return lines;
}
