// One point-to-point link per qube into its netvm's namespace, with its firewall attached fail-closed.
import { chmod, chown, writeFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BulkheadError } from '../../errors/index.js';
import { run } from '../../exec/index.js';
import { defaultRules, parseRule, type FirewallRule } from '../../firewall/index.js';
import { qubeLinkPlan, VIRTUAL_DNS4 } from '../../model/addresses.js';
import { configurePointToPoint, linkDelete, netnsExec, netnsExists, netnsAdd, netnsDelete, netnsSysctl, vethCreate } from '../../net/index.js';
import { attachQubeFirewall, detachQubeFirewall, applyQubeFirewall } from '../../net/nft.js';
import { uidBaseOf, type DaemonContext } from '../../daemon/context.js';
import { netQubeDir } from '../../daemon/paths.js';
import { qubeNetns, QUBE_IF, vifName } from './names.js';

/** The resolver a netvm itself uses (sys-net: the uplink's; chained netvms: the virtual one). */
const upstream = new Map<string, string>();
export function setUpstream(netvm: string, server: string | null): void {
  if (server) upstream.set(netvm, server);
  else upstream.delete(netvm);
}
function upstreamOf(netvm: string): string {
  return upstream.get(netvm) ?? VIRTUAL_DNS4[0];
}

/** Where each running qube's link ends, so a netvm change or a stop can undo it. */
export interface Attachment {
  netvm: string;
  ifname: string;
  address: string;
  gateway: string;
}

export const IPV6_OFF = { 'net.ipv6.conf.all.disable_ipv6': 1, 'net.ipv6.conf.default.disable_ipv6': 1 } as const;
/** Unprivileged ICMP echo sockets for every group (qubes' ids are mapped above 2^31, so the whole kgid range), no CAP_NET_RAW needed. */
export const PING_ANYONE = { 'net.ipv4.ping_group_range': '0 4294967294' } as const;

/** A qube's stored firewall rules (parsed); the default is Qubes' single `action=accept`. */
export function storedRules(ctx: DaemonContext, name: string): FirewallRule[] {
  const texts = ctx.store.firewallRules(name);
  if (!texts) return defaultRules();
  return texts.map((t, i) => {
    try {
      return parseRule(t);
    } catch (e) {
      // Stored rules were valid when stored; if not, block rather than open.
      throw new BulkheadError('ERR_FIREWALL', `stored rule ${i} of ${name} no longer parses: ${(e as Error).message}`);
    }
  });
}

/** Make the qube's own named namespace, IPv6 off (the firewall handles IPv4 only in qubes). */
export async function makeQubeNetns(ctx: DaemonContext, name: string, forward: boolean): Promise<string> {
  const ns = qubeNetns(ctx, name);
  if (await netnsExists(ns)) await netnsDelete([ns]);
  await netnsAdd([ns]);
  await netnsSysctl(ns, { ...IPV6_OFF, ...PING_ANYONE, ...(forward ? { 'net.ipv4.ip_forward': 1 } : {}) });
  return ns;
}

export async function resolvConfFor(ctx: DaemonContext, name: string): Promise<string> {
  // run/net/NAME/ is 0710 root:uidBase: only this qube's root passes it on the host; the file is
  // 0644 because every user inside the qube reads /etc/resolv.conf.
  const dir = netQubeDir(ctx.paths, name);
  await mkdir(dir, { recursive: true, mode: 0o711 });
  await chown(dir, 0, uidBaseOf(ctx, ctx.store.requireQube(name).qid));
  await chmod(dir, 0o710);
  const file = join(dir, 'resolv.conf');
  await writeFile(file, VIRTUAL_DNS4.map((d) => `nameserver ${d}`).join('\n') + '\n', { mode: 0o644 });
  return file;
}

export async function removeResolvConf(ctx: DaemonContext, name: string): Promise<void> {
  await rm(netQubeDir(ctx.paths, name), { recursive: true, force: true });
}

/** Create the veth, address both ends, and attach the qube's firewall in the netvm. */
export async function attachLink(ctx: DaemonContext, name: string, netvm: string): Promise<Attachment> {
  const q = ctx.store.requireQube(name);
  const n = ctx.store.requireQube(netvm);
  const qns = qubeNetns(ctx, name);
  const nns = qubeNetns(ctx, netvm);
  if (!(await netnsExists(nns))) throw new BulkheadError('ERR_NETWORK', `netvm '${netvm}' has no network namespace (is it running?)`);
  const plan = qubeLinkPlan({ qid: q.qid }, { qid: n.qid });
  const ifname = vifName(q.qid);
  await linkDelete(nns, ifname).catch(() => undefined); // a leftover of a crash
  // The address may have been another qube's (qids are reused): its flows must not carry over.
  // Forgotten before the link exists, so nothing can re-create one for the old owner in between.
  await forgetFlows(nns, plan.address);
  await vethCreate([{ netns: qns, ifname: QUBE_IF, peerNetns: nns, peerIfname: ifname }]);
  await configurePointToPoint({ netns: qns, ifname: QUBE_IF, addresses: [plan.address] }, { netns: nns, ifname, addresses: [plan.gateway] });
  await attachQubeFirewall({
    netns: nns,
    now: Math.floor(Date.now() / 1000),
    rules: storedRules(ctx, name),
    link: { qubeName: name, qubeIPv4: plan.address, qubeIPv6: null, ifname, dnsServers: { virtual: [...VIRTUAL_DNS4] } },
    resolve: (host) => resolveInNetns(nns, host, upstreamOf(netvm)),
  });
  return { netvm, ifname, address: plan.address, gateway: plan.gateway };
}

/**
 * Deletes every tracked flow from or to `address` in a netvm's namespace, in both directions of the
 * original tuple; "0 flow entries" is the usual answer. Any other failure stops the attach.
 */
export async function forgetFlows(nns: string, address: string): Promise<number> {
  let deleted = 0;
  for (const side of ['-s', '-d']) {
    const r = await netnsExec(nns, 'conntrack', ['-D', '-f', 'ipv4', side, address], { allowFail: true, timeoutMs: 10_000 });
    const m = /(\d+) flow entries have been deleted/.exec(r.stderr + r.stdout);
    if (!m) throw new BulkheadError('ERR_NETWORK', `conntrack -D ${side} ${address} in ${nns} failed: ${r.stderr.trim().slice(0, 200)}`);
    deleted += Number(m[1]);
  }
  return deleted;
}

/** Undo attachLink: firewall entries out of the netvm, the veth gone (both ends). */
export async function detachLink(ctx: DaemonContext, name: string, a: Attachment): Promise<void> {
  const nns = qubeNetns(ctx, a.netvm);
  if (await netnsExists(nns)) {
    await detachQubeFirewall(nns, { qubeName: name, ifname: a.ifname, qubeIPv4: a.address, qubeIPv6: null, dnsServers: { virtual: [...VIRTUAL_DNS4] } }).catch(
      () => undefined,
    );
    await linkDelete(nns, a.ifname).catch(() => undefined);
  }
  await linkDelete(qubeNetns(ctx, name), QUBE_IF).catch(() => undefined);
}

/** Re-apply a qube's rules in its netvm (rules changed, or one expired). Fails closed. */
export async function reapplyFirewall(ctx: DaemonContext, name: string, a: Attachment, rules: FirewallRule[]): Promise<{ cut: number }> {
  const nns = qubeNetns(ctx, a.netvm);
  return applyQubeFirewall({
    netns: nns,
    now: Math.floor(Date.now() / 1000),
    rules,
    link: { qubeName: name, qubeIPv4: a.address, qubeIPv6: null, ifname: a.ifname, dnsServers: { virtual: [...VIRTUAL_DNS4] } },
    resolve: (host) => resolveInNetns(nns, host, upstreamOf(a.netvm)),
  });
}

/** Resolve a dsthost name the way the netvm would: through its own resolver, never the host's. */
export async function resolveInNetns(ns: string, host: string, server: string = VIRTUAL_DNS4[0]): Promise<string[]> {
  const r = await run('ip', ['netns', 'exec', ns, 'dig', '+short', '+time=2', '+tries=1', `@${server}`, host, 'A'], { allowFail: true, timeoutMs: 8000 });
  const addrs = r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^\d+\.\d+\.\d+\.\d+$/.test(l));
  if (!addrs.length) throw new BulkheadError('ERR_FIREWALL', `dsthost ${host} does not resolve`);
  return addrs;
}
