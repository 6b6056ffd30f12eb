// Shared set-up of the network acceptance tests, benchmark and demo checks: a daemon with the lab world, sys-net and sys-firewall, and host-side views of what it made.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { coreDaemon, crunList, netnsWith, type CoreDaemon } from './core-fixture.js';

export interface NetDaemon extends CoreDaemon {
  /** `bulkhead run NAME -- argv` (as `user`, or root if asked). */
  run(name: string, argv: string[], opts?: { root?: boolean; input?: string; timeoutMs?: number }): { code: number; stdout: string; stderr: string };
  /** The qube's own namespace name (`${prefix}-NAME`). */
  ns(name: string): string;
  /** Tear everything down (qubes, lab, daemon, state dir); safe to call twice. */
  teardown(): Promise<void>;
}

/** Netvms are killed last, in this order after everything else, so links go before the qubes they end in. */
export const NETVM_ORDER = (n: string) => (n === 'sys-net' ? 3 : n === 'sys-firewall' ? 2 : n === 'sys-whonix' ? 1 : 0);

/**
 * A daemon on a private state directory with debian-12, the lab up (`labArgs`) and `init` run with
 * `initArgs`; `run`, `ns` and a `teardown` that kills qubes (netvms last), brings the lab down and
 * removes the state. Shared by the network and Whonix fixtures.
 */
export async function labDaemon<T extends NetDaemon>(tag: string, labArgs: string[], initArgs: string[]): Promise<T> {
  const d = (await coreDaemon(tag)) as T;
  d.ns = (name) => `${d.prefix}-${name}`;
  d.run = (name, argv, opts = {}) => d.cli(['run', ...(opts.root ? ['--user', 'root'] : []), name, '--', ...argv], opts.input, opts.timeoutMs ?? 60_000);
  let done = false;
  d.teardown = async () => {
    if (done) return;
    done = true;
    const ls = d.cli(['ls', '--json']);
    if (ls.code === 0) {
      const qubes = JSON.parse(ls.stdout) as { name: string; state: string; klass: string }[];
      const up = qubes.filter((x) => !/^halted$/i.test(x.state) && x.klass !== 'AdminVM').sort((a, b) => NETVM_ORDER(a.name) - NETVM_ORDER(b.name));
      for (const q of up) d.cli(['kill', q.name]);
    }
    d.cli(['lab', 'down']);
    await d.destroy();
  };
  try {
    d.ok(['lab', 'up', ...labArgs], undefined, 300_000);
    d.ok(['init', ...initArgs], undefined, 900_000);
  } catch (e) {
    await d.teardown();
    throw e;
  }
  return d;
}

/** A daemon on a private state directory with debian-12, the lab up and `init --uplink lab` done. */
export async function netDaemon(tag: string): Promise<NetDaemon> {
  return labDaemon<NetDaemon>(tag, [], ['--uplink', 'lab']);
}

export interface Leftovers {
  netns: string[];
  etcNetns: string[];
  crun: string[];
  hostLinks: string[];
  hostTables: string[];
}

/** Host-side names of nft tables (family and name) — the host's own ruleset, not the namespaces'. */
export function hostNftTables(): string[] {
  const r = spawnSync('nft', ['list', 'tables'], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`nft list tables failed: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('table '));
}

/** Every kernel object carrying the prefix (or made by the network feature) that is still there. */
export function leftovers(prefix: string, hostTablesBefore: readonly string[]): Leftovers {
  const etc = existsSync('/etc/netns') ? readdirSync('/etc/netns').filter((n) => n.startsWith(prefix)) : [];
  const links = spawnSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8', timeout: 10_000 });
  const hostLinks = (JSON.parse(links.stdout || '[]') as { ifname: string }[]).map((l) => l.ifname).filter((n) => n.includes(prefix));
  const before = new Set(hostTablesBefore);
  return {
    netns: netnsWith(prefix),
    etcNetns: etc,
    crun: crunList(`${prefix}-`).map((c) => c.id),
    hostLinks,
    hostTables: hostNftTables().filter((t) => !before.has(t)),
  };
}

/** Force-remove what a failed teardown left (namespaces of the prefix only). */
export function forceRemoveNetns(prefix: string): void {
  for (const ns of netnsWith(prefix)) if (ns.startsWith(`${prefix}-`)) spawnSync('ip', ['netns', 'delete', ns], { timeout: 10_000 });
}

/** A named counter of the netvm's `inet bulkhead` table, read with `nft list counter` inside its namespace. */
export function nftCounter(netns: string, name: string): number {
  const r = spawnSync('ip', ['netns', 'exec', netns, 'nft', 'list', 'counter', 'inet', 'bulkhead', name], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`nft list counter ${name} in ${netns}: ${r.stderr}`);
  const m = /packets (\d+)/.exec(r.stdout);
  if (!m) throw new Error(`no packets in counter ${name}: ${r.stdout}`);
  return Number(m[1]);
}

/** The IPv4 address on `ifname` inside a namespace (or null). */
export function nsAddress(netns: string, ifname: string): string | null {
  const r = spawnSync('ip', ['-n', netns, '-j', '-4', 'addr', 'show', 'dev', ifname], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) return null;
  const a = (JSON.parse(r.stdout || '[]') as { addr_info?: { local: string }[] }[])[0]?.addr_info?.[0]?.local;
  return a ?? null;
}

/** Python run inside a qube: one ICMP echo over an unprivileged datagram socket; prints "reply" or "noreply <why>". */
export const ICMP_ECHO_PY = `
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
s.settimeout(float(sys.argv[2]) if len(sys.argv) > 2 else 2)
try:
    s.sendto(struct.pack('!BBHHH', 8, 0, 0, 0, 1) + b'bulkhead', (sys.argv[1], 0))
    s.recvfrom(200)
    print('reply')
except Exception as e:
    print('noreply', type(e).__name__, e)
`;
