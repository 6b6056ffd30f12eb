// The host's resolvers that sys-net can use in nat mode, from resolv.conf texts (pure).
import { parseIpv4 } from '../model/addresses.js';
import { MAX_DNS } from './config.js';

/**
 * IPv4 `nameserver` lines of the first text that has any sys-net can reach: loopback resolvers
 * (systemd-resolved's 127.0.0.53, a local dnsmasq) answer only on the host, so a text holding only
 * those is passed over (systemd-resolved lists the real ones in its other file). At most MAX_DNS.
 */
export function usableResolvers(texts: readonly (string | undefined)[]): string[] {
  for (const t of texts) {
    if (t === undefined) continue;
    const found: string[] = [];
    for (const line of t.split('\n')) {
      const m = /^\s*nameserver\s+(\S+)\s*(#.*)?$/.exec(line);
      if (!m) continue;
      const a = m[1]!;
      const n = parseIpv4(a);
      if (n === undefined || a.startsWith('127.') || a.startsWith('0.') || n >= 0xe0000000) continue;
      if (!found.includes(a)) found.push(a);
    }
    if (found.length) return found.slice(0, MAX_DNS);
  }
  return [];
}
