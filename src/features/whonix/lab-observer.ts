// Packet counters in the lab's hosts and on the router's uplinks: what reached the "internet", split into Tor-network traffic and anything else.
import { randomBytes } from 'node:crypto';
import { run } from '../../exec/index.js';
import { BulkheadError } from '../../errors/index.js';
import { readLabState } from '../../lab/state.js';
import { LAB_RELAY_NET } from '../../model/lab-plan.js';
import { applyRuleset } from '../../net/nft.js';

/** Per observed place: packets from (hosts) or to (uplinks) the lab's Tor relays, and all other packets. */
export interface Seen {
  tor: number;
  other: number;
}
export type Observation = Record<string, Seen>;

export interface LabObserver {
  /** Observed places: lab host names (web, other, dns) and `uplinks` (router side of every sys-net uplink). */
  places: string[];
  read(): Promise<Observation>;
  remove(): Promise<void>;
}

/**
 * Counting ruleset for a place. Hosts count arriving packets by source (a Tor relay's address or not);
 * the router counts packets arriving from sys-net uplinks (`u-*`) by destination. Counting happens
 * before conntrack, so invalid and stray packets count too; nothing is dropped.
 */
export function observerRuleset(table: string, kind: 'host' | 'uplinks', relayNet = LAB_RELAY_NET): string {
  const rules =
    kind === 'host'
      ? ['iif "lo" accept', `ip saddr ${relayNet} counter name "tor" accept`, 'counter name "other"']
      : [`iifname "u-*" ip daddr ${relayNet} counter name "tor" accept`, 'iifname "u-*" counter name "other"'];
  return [
    `table inet ${table} {`,
    '  counter tor { }',
    '  counter other { }',
    '  chain observe {',
    '    type filter hook prerouting priority -400; policy accept;',
    ...rules.map((r) => `    ${r}`),
    '  }',
    '}',
    '',
  ].join('\n');
}

async function counter(netns: string, table: string, name: string): Promise<number> {
  const r = await run('ip', ['netns', 'exec', netns, 'nft', 'list', 'counter', 'inet', table, name], { timeoutMs: 10_000 });
  const m = /packets (\d+)/.exec(r.stdout);
  if (!m) throw new BulkheadError('ERR_FIREWALL', `counter ${name} in ${netns}: no packet count in '${r.stdout.trim()}'`);
  return Number(m[1]);
}

/** Install counters in the lab recorded at `stateDir` (web, other and dns hosts, router uplinks). */
export async function observeLab(stateDir: string, hosts: readonly string[] = ['web', 'other', 'dns']): Promise<LabObserver> {
  const state = await readLabState(stateDir);
  if (!state) throw new BulkheadError('ERR_NETWORK', 'the lab world is not up (bulkhead lab up)');
  const table = `bulkhead_obs_${randomBytes(3).toString('hex')}`;
  const router = state.hosts.find((h) => h.role === 'router');
  const where = new Map<string, { netns: string; kind: 'host' | 'uplinks' }>();
  for (const h of hosts) {
    const rec = state.hosts.find((x) => x.name === h);
    if (!rec) throw new BulkheadError('ERR_NETWORK', `the lab has no host '${h}'`);
    where.set(h, { netns: rec.netns, kind: 'host' });
  }
  if (router) where.set('uplinks', { netns: router.netns, kind: 'uplinks' });
  const installed: string[] = [];
  const remove = async () => {
    for (const ns of installed.splice(0))
      await run('ip', ['netns', 'exec', ns, 'nft', 'delete', 'table', 'inet', table], { allowFail: true, timeoutMs: 10_000 });
  };
  try {
    for (const { netns, kind } of where.values()) {
      await applyRuleset(netns, observerRuleset(table, kind));
      installed.push(netns);
    }
  } catch (e) {
    await remove();
    throw e;
  }
  return {
    places: [...where.keys()],
    async read() {
      const out: Observation = {};
      for (const [place, { netns }] of where) out[place] = { tor: await counter(netns, table, 'tor'), other: await counter(netns, table, 'other') };
      return out;
    },
    remove,
  };
}

/** Packets between two readings, per place. */
export function delta(before: Observation, after: Observation): Observation {
  const out: Observation = {};
  for (const [k, a] of Object.entries(after)) {
    const b = before[k] ?? { tor: 0, other: 0 };
    out[k] = { tor: a.tor - b.tor, other: a.other - b.other };
  }
  return out;
}

export function totalOther(o: Observation): number {
  return Object.values(o).reduce((n, s) => n + s.other, 0);
}

export function describeSeen(o: Observation): string {
  return Object.entries(o)
    .map(([k, s]) => `${k} tor ${s.tor} other ${s.other}`)
    .join(', ');
}
