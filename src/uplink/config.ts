// The host uplink's settings (pure): mode, NIC, static address; validated from a request or from sys-net's features.
import { BulkheadError } from '../errors/index.js';
import { parseIpv4 } from '../model/addresses.js';

export type HostUplinkMode = 'nat' | 'exclusive';

/** Address, gateway and resolvers given by the admin instead of DHCP (exclusive) or the host's resolvers (nat). */
export interface StaticSettings {
  /** IPv4 address with prefix length, e.g. 192.168.1.20/24 (exclusive only). */
  address: string | null;
  gateway: string | null;
  dns: string[];
}

export interface HostUplinkConfig {
  mode: HostUplinkMode;
  /** The host's interface; null until init chose the one of the default route. */
  nic: string | null;
  settings: StaticSettings;
}

/** What `init --uplink host` may carry, untrusted. */
export interface HostUplinkOptions {
  nic?: string;
  mode?: string;
  address?: string;
  gateway?: string;
  dns?: string[];
}

const IFNAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/;
export const MAX_DNS = 3;

/** sys-net's features that hold the host uplink (besides `uplink` = host). */
export const FEATURE = { mode: 'uplink.mode', nic: 'uplink.nic', address: 'uplink.address', gateway: 'uplink.gateway', dns: 'uplink.dns' } as const;

function checkNic(field: string, v: string): string {
  if (!IFNAME.test(v) || v === 'lo' || v === '.' || v === '..')
    throw new BulkheadError('ERR_INVALID_VALUE', `${field}: '${v}' is not an interface name (1-15 of A-Za-z0-9_.-, not lo)`, { field });
  return v;
}

function checkIp(field: string, v: string): string {
  const n = parseIpv4(v);
  if (n === undefined) throw new BulkheadError('ERR_INVALID_VALUE', `${field}: '${v}' is not an IPv4 address`, { field });
  if (v.startsWith('0.') || v.startsWith('127.') || n >= 0xe0000000)
    throw new BulkheadError('ERR_INVALID_VALUE', `${field}: '${v}' is not a unicast address`, { field });
  return v;
}

/** `A.B.C.D/N` with 8 ≤ N ≤ 32 and a host address (not the network or broadcast address of a /N < 31). */
export function checkCidr(field: string, v: string): string {
  const m = /^([0-9.]+)\/(\d{1,2})$/.exec(v);
  if (!m) throw new BulkheadError('ERR_INVALID_VALUE', `${field}: '${v}' is not ADDRESS/PREFIX (e.g. 192.168.1.20/24)`, { field });
  checkIp(field, m[1]!);
  const len = Number(m[2]);
  if (len < 8 || len > 32) throw new BulkheadError('ERR_INVALID_VALUE', `${field}: prefix /${len} is not in 8..32`, { field });
  if (len < 31) {
    const host = parseIpv4(m[1]!)! & (2 ** (32 - len) - 1);
    if (host === 0 || host === 2 ** (32 - len) - 1)
      throw new BulkheadError('ERR_INVALID_VALUE', `${field}: ${m[1]} is the network or broadcast address of /${len}`, { field });
  }
  return `${m[1]}/${len}`;
}

/** Is `ip` inside the subnet of `cidr`? */
export function inSubnet(ip: string, cidr: string): boolean {
  const [base, len] = cidr.split('/');
  const mask = Number(len) === 0 ? 0 : (0xffffffff << (32 - Number(len))) >>> 0;
  return (parseIpv4(ip)! & mask) >>> 0 === (parseIpv4(base!)! & mask) >>> 0;
}

/** Validate `init --uplink host` options; one error naming the option. */
export function parseHostUplinkOptions(o: HostUplinkOptions): HostUplinkConfig {
  const mode = o.mode ?? 'exclusive';
  if (mode !== 'nat' && mode !== 'exclusive') throw new BulkheadError('ERR_INVALID_VALUE', `--mode: '${mode}' is not nat or exclusive`);
  const nic = o.nic === undefined ? null : checkNic('--nic', o.nic);
  const dns = o.dns ?? [];
  if (dns.length > MAX_DNS) throw new BulkheadError('ERR_INVALID_VALUE', `--dns: at most ${MAX_DNS} servers`);
  dns.forEach((d, i) => checkIp(`--dns[${i}]`, d));
  const address = o.address === undefined ? null : checkCidr('--address', o.address);
  const gateway = o.gateway === undefined ? null : checkIp('--gateway', o.gateway);
  if (mode === 'nat' && (address !== null || gateway !== null)) {
    throw new BulkheadError('ERR_INVALID_VALUE', '--address/--gateway: only for --mode exclusive (in nat mode the host keeps its own address and route)');
  }
  if ((address === null) !== (gateway === null))
    throw new BulkheadError('ERR_INVALID_VALUE', `${address === null ? '--address' : '--gateway'}: static settings need both --address and --gateway`);
  if (address !== null && gateway !== null) {
    if (!address.endsWith('/32') && !inSubnet(gateway, address)) throw new BulkheadError('ERR_INVALID_VALUE', `--gateway: ${gateway} is not inside ${address}`);
    if (gateway === address.split('/')[0]) throw new BulkheadError('ERR_INVALID_VALUE', '--gateway: is the address itself');
    if (dns.length === 0) throw new BulkheadError('ERR_INVALID_VALUE', '--dns: static settings need at least one DNS server (nothing else tells sys-net one)');
  }
  return { mode, nic, settings: { address, gateway, dns: [...dns] } };
}

/** The features that store a config on sys-net (empty strings for what is unset). */
export function configFeatures(c: HostUplinkConfig): Record<string, string> {
  return {
    [FEATURE.mode]: c.mode,
    [FEATURE.nic]: c.nic ?? '',
    [FEATURE.address]: c.settings.address ?? '',
    [FEATURE.gateway]: c.settings.gateway ?? '',
    [FEATURE.dns]: c.settings.dns.join(','),
  };
}

/** Read the config back from sys-net's features (which `bulkhead features` can change): invalid values name the feature. */
export function configFromFeatures(qube: string, f: Readonly<Record<string, string>>): HostUplinkConfig & { nic: string } {
  const get = (k: string) => (f[k] === undefined || f[k] === '' ? undefined : f[k]);
  try {
    const c = parseHostUplinkOptions({
      mode: get(FEATURE.mode),
      nic: get(FEATURE.nic),
      address: get(FEATURE.address),
      gateway: get(FEATURE.gateway),
      dns: get(FEATURE.dns)?.split(','),
    });
    if (c.nic === null) throw new BulkheadError('ERR_INVALID_VALUE', `${FEATURE.nic}: not set (run init --uplink host again)`);
    return c as HostUplinkConfig & { nic: string };
  } catch (e) {
    const m = e instanceof Error ? e.message.replace(/^--(mode|nic|address|gateway|dns)/, (_, k: keyof typeof FEATURE) => FEATURE[k]) : String(e);
    throw new BulkheadError('ERR_INVALID_VALUE', `host uplink of '${qube}': feature ${m}`);
  }
}

/** One line describing the uplink, as init and ls show it. */
export function describeConfig(c: HostUplinkConfig): string {
  const how = c.mode === 'nat' ? 'nat' : c.settings.address ? `exclusive, static ${c.settings.address} via ${c.settings.gateway}` : 'exclusive, DHCP';
  return `host ${c.nic ?? '(default route)'} (${how}${c.settings.dns.length ? `, dns ${c.settings.dns.join(' ')}` : ''})`;
}
