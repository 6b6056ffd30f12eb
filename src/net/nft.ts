// Applies nft text in a netvm's namespace (check, then one atomic load) and loads qube firewalls fail-closed.
import { run, type RunOptions, type RunResult } from '../exec/index.js';
import { BulkheadError } from '../errors/index.js';
import {
  compileBaseTable,
  compileDnsServers,
  compileQubeAttach,
  compileQubeBlocked,
  compileQubeChain,
  compileQubeDetach,
  DEFAULT_TABLE,
  hostnamesOf,
  parseAddress,
  type FirewallRule,
  type QubeFirewallTarget,
} from '../firewall/index.js';
import { checkIfname, checkNetnsName } from './names.js';

/** Runs a program in the namespace, or in the current one for `null`. */
function inNetns(netns: string | null, cmd: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  if (netns === null) return run(cmd, args, opts);
  return run('ip', ['netns', 'exec', checkNetnsName(netns), cmd, ...args], opts);
}

function nftError(stderr: string): string {
  return (
    stderr
      .trim()
      .split('\n')
      .filter((l) => l.includes('Error'))
      .slice(0, 3)
      .join(' | ') || stderr.trim().slice(0, 300)
  );
}

/** `nft -c -f -`: throws ERR_FIREWALL with nft's message if the text would not load. */
export async function checkRuleset(netns: string | null, text: string): Promise<void> {
  const res = await inNetns(netns, 'nft', ['-c', '-f', '-'], { input: text, allowFail: true, timeoutMs: 30_000 });
  if (res.code !== 0) throw new BulkheadError('ERR_FIREWALL', `nft -c rejected the ruleset: ${nftError(res.stderr)}`);
}

/** `nft -f -`: one transaction, all or nothing. Prefer applyRuleset, which checks first. */
export async function loadRuleset(netns: string | null, text: string): Promise<void> {
  const res = await inNetns(netns, 'nft', ['-f', '-'], { input: text, allowFail: true, timeoutMs: 30_000 });
  if (res.code !== 0) throw new BulkheadError('ERR_FIREWALL', `nft -f failed: ${nftError(res.stderr)}`);
}

/** Checks with `nft -c`, then loads with `nft -f` (one transaction: all or nothing). */
export async function applyRuleset(netns: string | null, text: string): Promise<void> {
  await checkRuleset(netns, text);
  await loadRuleset(netns, text);
}

/**
 * Creates (or replaces) the netvm's firewall table: hooks, isolation, anti-spoofing sets,
 * counters, and the netvm's virtual DNS addresses for `specialtarget=dns`.
 */
export async function loadFirewallBase(netns: string | null, opts: { table?: string; dnsServers?: { virtual: readonly string[] } } = {}): Promise<void> {
  await applyRuleset(netns, compileBaseTable(opts));
}

/** A qube's link as the applier needs it: the compiler's target without resolved names. */
export type QubeLinkFirewall = Omit<QubeFirewallTarget, 'resolved'>;

export interface QubeFirewallInput {
  /** The netvm's namespace (null = current). */
  netns: string | null;
  link: QubeLinkFirewall;
  rules: readonly FirewallRule[];
  /** Unix seconds: expired rules are left out. */
  now: number;
  table?: string;
  /** Resolves a dsthost name (through the netvm's DNS). Needed when the rules hold names. */
  resolve?: (name: string) => Promise<readonly string[]>;
}

async function resolveNames(input: QubeFirewallInput): Promise<Map<string, readonly string[]>> {
  const names = hostnamesOf(input.rules);
  const resolved = new Map<string, readonly string[]>();
  if (names.length === 0) return resolved;
  const resolve = input.resolve;
  if (!resolve) throw new BulkheadError('ERR_FIREWALL', `no resolver for dsthost ${names.join(', ')}`);
  await Promise.all(
    names.map(async (n) => {
      try {
        resolved.set(n, await resolve(n));
      } catch (e) {
        throw new BulkheadError('ERR_FIREWALL', `cannot resolve ${n}: ${(e as Error).message}`, { cause: e });
      }
    }),
  );
  return resolved;
}

/**
 * Flushes the qube's connection-tracking entries so connections the new rules forbid are cut
 * (allowed ones are picked up again as new flows). Returns how many entries were deleted.
 */
export async function cutConnections(netns: string | null, addrs: readonly string[]): Promise<number> {
  let total = 0;
  for (const addr of addrs) {
    const a = parseAddress(addr);
    if (!a) throw new BulkheadError('ERR_FIREWALL', `conntrack: '${addr}' is not an address`);
    const res = await inNetns(netns, 'conntrack', ['-D', '-f', a.family === 4 ? 'ipv4' : 'ipv6', '-s', addr], { allowFail: true, timeoutMs: 10_000 });
    const m = /(\d+) flow entries have been deleted/.exec(res.stderr + res.stdout);
    if (!m) throw new BulkheadError('ERR_FIREWALL', `conntrack -D -s ${addr} failed: ${res.stderr.trim().slice(0, 200)}`);
    total += Number(m[1]);
  }
  return total;
}

function qubeAddrs(link: QubeLinkFirewall): string[] {
  return link.qubeIPv6 === null ? [link.qubeIPv4] : [link.qubeIPv4, link.qubeIPv6];
}

/** Last resort when even the blocked chain cannot be loaded: take the qube's link down. */
async function linkDown(netns: string | null, ifname: string): Promise<void> {
  const args = netns === null ? [] : ['-n', checkNetnsName(netns)];
  await run('ip', [...args, 'link', 'set', 'dev', checkIfname(ifname), 'down'], { allowFail: true, timeoutMs: 10_000 });
}

/** Blocks the qube (blocked chain; failing that, link down), cuts its connections, throws ERR_FIREWALL. */
async function failClosed(input: QubeFirewallInput, cause: unknown, attach: boolean): Promise<never> {
  const { netns, link } = input;
  const reason = cause instanceof Error ? cause.message : String(cause);
  let how = 'its traffic is blocked';
  try {
    const opts = { now: input.now, table: input.table };
    const text = attach ? compileQubeAttach({ ...link, resolved: new Map() }, 'blocked', opts) : compileQubeBlocked(link.qubeName, opts);
    await applyRuleset(netns, text);
  } catch (e) {
    await linkDown(netns, link.ifname);
    how = `blocking failed too (${(e as Error).message}); its link was set down`;
  }
  await cutConnections(netns, qubeAddrs(link)).catch(() => 0);
  throw new BulkheadError('ERR_FIREWALL', `firewall of ${link.qubeName} not loaded: ${reason}; ${how}`, { cause });
}

/**
 * Replaces a qube's firewall rules in its netvm atomically, then cuts its tracked connections.
 * If resolving, compiling, checking or loading fails, the qube is blocked (fail closed) and an
 * ERR_FIREWALL naming the reason is thrown; the caller keeps its last good rules stored.
 */
export async function applyQubeFirewall(input: QubeFirewallInput): Promise<{ cut: number }> {
  try {
    const resolved = await resolveNames(input);
    const text = compileQubeChain({ ...input.link, resolved }, input.rules, { now: input.now, table: input.table });
    await applyRuleset(input.netns, text);
  } catch (e) {
    return failClosed(input, e, false);
  }
  return { cut: await cutConnections(input.netns, qubeAddrs(input.link)) };
}

/**
 * Deletes every element that names this interface (map entry, source addresses), left by a link
 * that was never detached, so an old address of a reused interface name is not accepted.
 */
async function clearStaleEntries(netns: string | null, ifname: string, table: string): Promise<void> {
  const ifn = checkIfname(ifname);
  const lines: string[] = [];
  for (const set of ['qube_src4', 'qube_src6']) {
    const res = await inNetns(netns, 'nft', ['-j', 'list', 'set', 'inet', table, set], { allowFail: true, timeoutMs: 10_000 });
    if (res.code !== 0) continue;
    const doc = JSON.parse(res.stdout) as { nftables?: Array<{ set?: { elem?: Array<{ concat?: unknown[] }> } }> };
    for (const e of doc.nftables?.find((x) => x.set)?.set?.elem ?? []) {
      const [name, addr] = e.concat ?? [];
      if (name === ifn && typeof addr === 'string' && parseAddress(addr)) lines.push(`delete element inet ${table} ${set} { "${ifn}" . ${addr} }`);
    }
  }
  for (const line of lines) await inNetns(netns, 'nft', ['-f', '-'], { input: line + '\n', allowFail: true, timeoutMs: 10_000 });
  for (const map of ['firewall', 'qube_links']) {
    await inNetns(netns, 'nft', ['delete', 'element', 'inet', table, map, `{ "${ifn}" }`], { allowFail: true, timeoutMs: 10_000 });
  }
}

/**
 * Attaches a qube's link to the netvm's table (firewall chain, source addresses, map entry) in one
 * transaction, after clearing anything a previous link of the same interface name left behind.
 * Fails closed like applyQubeFirewall.
 */
export async function attachQubeFirewall(input: QubeFirewallInput): Promise<void> {
  const table = input.table ?? DEFAULT_TABLE;
  try {
    const resolved = await resolveNames(input);
    const text = compileQubeAttach({ ...input.link, resolved }, input.rules, { now: input.now, table });
    await clearStaleEntries(input.netns, input.link.ifname, table);
    await applyRuleset(input.netns, text);
  } catch (e) {
    await failClosed(input, e, true);
  }
}

/**
 * Attaches many links at once (netvm start, right after loadFirewallBase: nothing stale). One
 * transaction; if it fails, each qube is attached on its own so one bad rule set blocks only
 * its qube. Returns the qubes that ended blocked, with the reason.
 */
export async function attachQubeFirewalls(
  netns: string | null,
  inputs: readonly Omit<QubeFirewallInput, 'netns'>[],
): Promise<Array<{ qubeName: string; error: BulkheadError }>> {
  try {
    const texts = await Promise.all(
      inputs.map(async (i) => {
        const resolved = await resolveNames({ ...i, netns });
        return compileQubeAttach({ ...i.link, resolved }, i.rules, { now: i.now, table: i.table });
      }),
    );
    await applyRuleset(netns, texts.join(''));
    return [];
  } catch {
    const failed: Array<{ qubeName: string; error: BulkheadError }> = [];
    for (const i of inputs) {
      try {
        await attachQubeFirewall({ ...i, netns });
      } catch (e) {
        failed.push({ qubeName: i.link.qubeName, error: e as BulkheadError });
      }
    }
    return failed;
  }
}

/** Removes a qube's link from the netvm's table. */
export async function detachQubeFirewall(netns: string | null, link: QubeLinkFirewall, opts: { table?: string } = {}): Promise<void> {
  await applyRuleset(netns, compileQubeDetach(link, opts));
}

/** Replaces the netvm's virtual DNS addresses used by `specialtarget=dns`. */
export async function setFirewallDnsServers(netns: string | null, dnsServers: { virtual: readonly string[] }, opts: { table?: string } = {}): Promise<void> {
  await applyRuleset(netns, compileDnsServers(dnsServers, opts));
}

/** Reads a named counter of the netvm's table. */
export async function readCounter(netns: string | null, name: string, opts: { table?: string } = {}): Promise<{ packets: number; bytes: number }> {
  const table = opts.table ?? DEFAULT_TABLE;
  if (!/^[a-z_]+$/.test(name) || !/^[a-zA-Z][a-zA-Z0-9_]*$/.test(table)) throw new BulkheadError('ERR_INVALID_NAME', `counter ${name}`);
  const res = await inNetns(netns, 'nft', ['-j', 'list', 'counter', 'inet', table, name], { timeoutMs: 10_000 });
  const doc = JSON.parse(res.stdout) as { nftables?: Array<{ counter?: { packets: number; bytes: number } }> };
  const c = doc.nftables?.find((x) => x.counter)?.counter;
  if (!c) throw new BulkheadError('ERR_FIREWALL', `no counter ${name} in table ${table}`);
  return { packets: c.packets, bytes: c.bytes };
}
