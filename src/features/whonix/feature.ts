// The gateway feature (Whonix): hooks that run tor in gateways and give workstations their only link.
import { effective, isGateway, uplinkOf } from '../../model/index.js';
import type { DaemonContext, QubeHooks } from '../../daemon/context.js';
import { isRunning } from '../../daemon/lifecycle/power.js';
import { attachWorkstation, detachWorkstation } from './workstation.js';
import { gatewayInput, loadGatewayRules, prepareGateway, reloadTor, startControlFilter, startTor, stopControlFilter, TOR_FILES_IN_QUBE } from './gateway.js';
import { writeGatewayFiles } from './files.js';
import { generateTorrc } from '../../gateway/index.js';
import { workstationMounts } from './files.js';
import { WS_HOSTNAME } from './identity.js';
import { unwatchTor, watchTor } from './tor-watch.js';
import { gatewayNetwork, startRefusal } from './profile.js';
import { BulkheadError } from '../../errors/index.js';

/** A workstation feature: `1` grants its root CAP_NET_RAW and CAP_NET_ADMIN (the leak-test suite's attacker). */
export const LEAKTEST_CAPS_FEATURE = 'leaktest.caps';

function gatewayOf(ctx: DaemonContext, name: string): string | null {
  const sys = ctx.store.system();
  const q = sys.qubes.get(name);
  if (!q) return null;
  const n = effective(q, 'netvm', sys);
  return typeof n === 'string' && isGateway(sys.qubes.get(n)) ? n : null;
}

/** Re-plan a running gateway after its workstation set changed: torrc, rules, tor reload, filter. Listener blocks of the others do not move. */
export async function refreshGateway(ctx: DaemonContext, gateway: string): Promise<void> {
  if (!isRunning(ctx, gateway)) return;
  const input = await gatewayInput(ctx, gateway);
  await writeGatewayFiles(ctx, gateway, generateTorrc(input));
  await loadGatewayRules(ctx, gateway, input);
  await reloadTor(ctx, gateway);
  await startControlFilter(ctx, gateway, input);
}

/**
 * Qubes' pre-start veto for gateways, registered before the network feature: a gateway whose network
 * profile this build must not start (public; lab behind a real uplink) is refused before any namespace,
 * link, rule or file is made for it.
 */
export function gatewayProfileVeto(): QubeHooks {
  return {
    async preStart(ctx, name) {
      const sys = ctx.store.system();
      const q = sys.qubes.get(name);
      if (!q || !isGateway(q)) return;
      const why = startRefusal(name, gatewayNetwork(sys, q), uplinkOf(sys, q));
      if (why) throw new BulkheadError('ERR_NETWORK', why);
    },
  };
}

export function whonixFeature(): { hooks: QubeHooks; attached: Map<string, string> } {
  /** workstation → the gateway its link ends in */
  const attached = new Map<string, string>();
  const hooks: QubeHooks = {
    async preStart(ctx, name) {
      const q = ctx.store.requireQube(name);
      if (isGateway(q)) {
        const { filesDir } = await prepareGateway(ctx, name);
        return { mounts: [{ source: filesDir, destination: TOR_FILES_IN_QUBE, readonly: true }] };
      }
      const gw = gatewayOf(ctx, name);
      if (!gw) return;
      await attachWorkstation(ctx, name, gw);
      attached.set(name, gw);
      // The gateway started before this workstation was its client: give it listeners now.
      await refreshGateway(ctx, gw);
      // The leak-test suite plays malware with root: raw sockets and interface changes inside the workstation.
      const extraCaps = q.features[LEAKTEST_CAPS_FEATURE] === '1' ? ['CAP_NET_RAW', 'CAP_NET_ADMIN'] : undefined;
      return { mounts: await workstationMounts(ctx, name), hostname: WS_HOSTNAME, env: { TZ: 'UTC' }, ...(extraCaps ? { extraCaps } : {}) };
    },
    async postStart(ctx, name) {
      if (!isGateway(ctx.store.requireQube(name))) return;
      // Workstations that kept running while their gateway was away get their link back (as Qubes re-attaches).
      const input = await gatewayInput(ctx, name);
      let relinked = false;
      for (const w of input.workstations) {
        if (!isRunning(ctx, w.name) || gatewayOf(ctx, w.name) !== name) continue;
        await attachWorkstation(ctx, w.name, name);
        attached.set(w.name, name);
        relinked = true;
      }
      if (relinked) await loadGatewayRules(ctx, name, input); // their routes need the links
      await startTor(ctx, name);
      watchTor(ctx, name);
      await startControlFilter(ctx, name, input);
    },
    async postStop(ctx, name) {
      const q = ctx.store.getQube(name);
      if (q && isGateway(q)) {
        unwatchTor(ctx, name);
        await stopControlFilter(ctx, name);
      }
      const gw = attached.get(name);
      if (gw) {
        await detachWorkstation(ctx, name, gw);
        attached.delete(name);
      }
    },
    async propertyChanged(ctx, name, key) {
      if (key !== 'netvm' || !isRunning(ctx, name)) return;
      const old = attached.get(name);
      const next = gatewayOf(ctx, name);
      if (old === next) return;
      if (old) {
        await detachWorkstation(ctx, name, old);
        attached.delete(name);
        await refreshGateway(ctx, old).catch(() => undefined);
      }
      if (next && isRunning(ctx, next)) {
        await attachWorkstation(ctx, name, next);
        attached.set(name, next);
        await refreshGateway(ctx, next);
      }
    },
    async daemonStart(ctx) {
      for (const q of ctx.store.listQubes()) {
        if (!isRunning(ctx, q.name)) continue;
        if (isGateway(q)) watchTor(ctx, q.name);
        const gw = gatewayOf(ctx, q.name);
        if (gw) attached.set(q.name, gw);
      }
    },
  };
  hooks.daemonStop = async (ctx) => {
    for (const q of ctx.store.listQubes()) if (isGateway(q)) unwatchTor(ctx, q.name);
  };
  return { hooks, attached };
}
