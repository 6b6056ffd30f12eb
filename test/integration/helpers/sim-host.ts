// A network namespace that stands for the host (sim-host) with a veth "NIC" into a LAN namespace running dnsmasq (DHCP and DNS) and a web host; snapshots of the sim-host to compare.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WEB_SERVER_SOURCE } from '../../../src/lab/web-server.js';

export const LAN_ADDR = '10.201.0.1';
export const HOST_ADDR = '10.201.0.2';
export const WEB_NAME = 'web.up.test';
export const DHCP_RANGE = ['10.201.0.100', '10.201.0.150'] as const;

export interface SimHost {
  /** The namespace that stands for the host, its "NIC", and the LAN namespace behind it. */
  netns: string;
  nic: string;
  lan: string;
  /** Links, addresses, routes, nft ruleset and ip_forward of the sim-host, normalised for comparison. */
  snapshot(): string;
  /** Remove everything (processes by PID, namespaces, files); safe to call twice. */
  destroy(): void;
}

function ip(args: string[]): string {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function inNs(ns: string, cmd: string, args: string[]): string {
  const r = spawnSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} in ${ns}: ${r.stderr}`);
  return r.stdout;
}

async function waitFor(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * `${run}-simhost` holds the NIC (`HOST_ADDR/24`, default route via the LAN, resolv.conf naming the
 * LAN's dnsmasq) and nothing else; `${run}-simlan` holds the other end, dnsmasq (DHCP range, DNS for
 * WEB_NAME) and the lab's web server. IPv6 is off in both; neither has any other link.
 */
export async function simHost(run: string): Promise<SimHost> {
  const netns = `${run}-simhost`;
  const lan = `${run}-simlan`;
  const nic = `${run.slice(0, 11)}nic`;
  const lanIf = `${run.slice(0, 11)}lan`;
  const dir = mkdtempSync(`/var/tmp/${run}-simlan-`);
  const procs: ChildProcess[] = [];
  let done = false;
  const destroy = () => {
    if (done) return;
    done = true;
    for (const p of procs)
      if (p.pid && p.exitCode === null) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    for (const ns of [netns, lan]) spawnSync('ip', ['netns', 'delete', ns], { timeout: 10_000 });
    rmSync(join('/etc/netns', netns), { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const ns of [netns, lan]) {
      spawnSync('ip', ['netns', 'delete', ns]);
      ip(['netns', 'add', ns]);
      inNs(ns, 'sysctl', ['-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
      ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    ip(['link', 'add', nic, 'netns', netns, 'type', 'veth', 'peer', 'name', lanIf, 'netns', lan]);
    ip(['-n', lan, 'addr', 'add', `${LAN_ADDR}/24`, 'dev', lanIf]);
    ip(['-n', lan, 'link', 'set', lanIf, 'up']);
    ip(['-n', netns, 'addr', 'add', `${HOST_ADDR}/24`, 'broadcast', '10.201.0.255', 'dev', nic]);
    ip(['-n', netns, 'link', 'set', nic, 'up']);
    ip(['-n', netns, 'route', 'add', 'default', 'via', LAN_ADDR, 'dev', nic, 'metric', '100']);
    mkdirSync(join('/etc/netns', netns), { recursive: true });
    writeFileSync(join('/etc/netns', netns, 'resolv.conf'), `nameserver ${LAN_ADDR}\n`);
    const dnsmasq = spawn(
      'ip',
      [
        'netns',
        'exec',
        lan,
        'dnsmasq',
        '--keep-in-foreground',
        '--conf-file=/dev/null',
        '--no-hosts',
        '--no-resolv',
        '--bind-interfaces',
        `--interface=${lanIf}`,
        `--listen-address=${LAN_ADDR}`,
        `--host-record=${WEB_NAME},${LAN_ADDR}`,
        `--dhcp-range=${DHCP_RANGE[0]},${DHCP_RANGE[1]},255.255.255.0,1h`,
        `--dhcp-option=option:router,${LAN_ADDR}`,
        `--dhcp-option=option:dns-server,${LAN_ADDR}`,
        `--dhcp-leasefile=${join(dir, 'leases')}`,
        '--pid-file=',
        '--log-dhcp',
        `--log-facility=${join(dir, 'dnsmasq.log')}`,
      ],
      { stdio: 'ignore' },
    );
    procs.push(dnsmasq);
    writeFileSync(join(dir, 'web.mjs'), WEB_SERVER_SOURCE);
    const web = spawn('ip', ['netns', 'exec', lan, process.execPath, join(dir, 'web.mjs'), WEB_NAME], { stdio: 'ignore' });
    procs.push(web);
    const listening = (port: string) => () =>
      spawnSync('ip', ['netns', 'exec', lan, 'ss', '-Hltn', `sport = :${port}`], { encoding: 'utf8' }).stdout.trim() !== '';
    await waitFor('the web host', listening('80'));
    await waitFor('dnsmasq', listening('53'));
  } catch (e) {
    destroy();
    throw e;
  }
  const snapshot = () => {
    const links = (
      JSON.parse(ip(['-n', netns, '-j', '-d', 'link', 'show'])) as {
        ifname: string;
        flags: string[];
        mtu: number;
        address: string;
        operstate: string;
        linkinfo?: { info_kind?: string };
      }[]
    )
      .map((l) => ({ ifname: l.ifname, up: l.flags.includes('UP'), mtu: l.mtu, mac: l.address, kind: l.linkinfo?.info_kind ?? '' }))
      .sort((a, b) => a.ifname.localeCompare(b.ifname));
    const addrs = (
      JSON.parse(ip(['-n', netns, '-j', '-4', 'addr', 'show'])) as {
        ifname: string;
        addr_info: { local: string; prefixlen: number; broadcast?: string; scope: string }[];
      }[]
    )
      .flatMap((l) => l.addr_info.map((a) => `${l.ifname} ${a.local}/${a.prefixlen} brd ${a.broadcast ?? '-'} ${a.scope}`))
      .sort();
    const routes = ip(['-n', netns, '-4', 'route', 'show', 'table', 'all']).split('\n').filter(Boolean).sort();
    const nft = inNs(netns, 'nft', ['list', 'ruleset']).trim();
    const forward = inNs(netns, 'sysctl', ['-n', 'net.ipv4.ip_forward']).trim();
    return JSON.stringify({ links, addrs, routes, nft, forward }, null, 1);
  };
  return { netns, nic, lan, snapshot, destroy };
}
