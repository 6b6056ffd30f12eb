// Phase 2 helper: relays that lag behind the authorities' first consensus get SIGNAL HUP.
import { sleep } from '../../exec/index.js';
import type { RunningTor } from './node.js';
import type { TorNodePlan } from './plan.js';

/**
 * Relays that asked for a consensus before the first one existed back off their downloads (up to ~10 s
 * here). Once every authority holds the full consensus, a relay or the bridge still without it 1 s later
 * gets SIGNAL HUP, which makes tor retry its directory downloads at once (measured: ready within 0.2 s
 * instead of 4–9 s later). Repeated every 4 s for nodes still behind. Returns the nicks nudged.
 */
export async function nudgeLaggards(
  done: () => boolean,
  servers: TorNodePlan[],
  running: Map<string, RunningTor>,
  ready: () => Record<string, number>,
): Promise<string[]> {
  const nudged: string[] = [];
  const auths = servers.filter((n) => n.role === 'authority');
  while (!done() && !auths.every((a) => ready()[a.nick] !== undefined)) await sleep(200);
  await sleep(1000);
  while (!done()) {
    for (const n of servers) {
      if (n.role === 'authority' || ready()[n.nick] !== undefined) continue;
      const ctl = running.get(n.nick)?.control;
      if (ctl && (await ctl.raw('SIGNAL HUP').catch(() => undefined))?.status === 250) nudged.push(n.nick);
    }
    for (let i = 0; i < 20 && !done(); i++) await sleep(200);
  }
  return nudged;
}
