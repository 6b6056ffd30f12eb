// The admin's watch on tor in each running gateway: one authenticated control connection, events when tor dies and when it is back.
import { sleep } from '../../exec/index.js';
import type { DaemonContext } from '../../daemon/context.js';
import { gatewayControl, type GatewayControl } from './gateway-control.js';
import type { TorNetwork } from '../../gateway/index.js';
import { gatewayNetwork } from './profile.js';
import type { TorState } from '../../contract/whonix.js';
export type { TorState };

export type TorRunState = 'starting' | 'up' | 'down';

/** How often a live connection is probed, and how often a dead tor is tried again (less often once it stays down). */
const PROBE_MS = 1000;
const RETRY_MS = 1000;
const RETRY_LONG_MS = 5000;
const LONG_DOWN_MS = 60_000;

const watches = new Map<string, { state: TorState; stop: () => void }>();
const key = (ctx: DaemonContext, gateway: string) => `${ctx.prefix}/${gateway}`;

/** tor's state in a gateway as the admin sees it, or null when it is not watched (not running). */
export function torState(ctx: DaemonContext, gateway: string): TorState | null {
  const w = watches.get(key(ctx, gateway));
  return w ? { ...w.state } : null;
}

export function torStates(ctx: DaemonContext): Record<string, TorState> {
  const out: Record<string, TorState> = {};
  for (const [k, w] of watches) if (k.startsWith(`${ctx.prefix}/`)) out[k.slice(ctx.prefix.length + 1)] = { ...w.state };
  return out;
}

/** Start watching a gateway's tor (again): `gateway-tor-down` when it dies, `gateway-tor-up` when it answers again. */
export function watchTor(ctx: DaemonContext, gateway: string): void {
  unwatchTor(ctx, gateway);
  let stopped = false;
  let ctl: GatewayControl | null = null;
  const sys = ctx.store.system();
  const network = gatewayNetwork(sys, sys.qubes.get(gateway) ?? ctx.store.requireQube(gateway));
  const state: TorState = { state: 'starting', since: new Date().toISOString(), restarts: 0, network };
  const set = (s: TorRunState) => {
    state.state = s;
    state.since = new Date().toISOString();
  };
  watches.set(key(ctx, gateway), {
    state,
    stop: () => {
      stopped = true;
      ctl?.close();
    },
  });
  void (async () => {
    while (!stopped) {
      try {
        ctl = await gatewayControl(ctx, gateway);
      } catch {
        await sleep(Date.now() - Date.parse(state.since) > LONG_DOWN_MS ? RETRY_LONG_MS : RETRY_MS);
        continue;
      }
      if (stopped) break;
      const wasDown = state.state === 'down';
      if (wasDown) state.restarts++;
      set('up');
      ctx.events.emit('gateway-tor-up', { qube: gateway, restarts: state.restarts, network });
      let reason = '';
      while (!stopped && !reason) {
        await sleep(PROBE_MS);
        try {
          await ctl.tor.getinfoOne('version');
        } catch (e) {
          reason = (e as Error).message;
        }
      }
      ctl.close();
      ctl = null;
      if (stopped) break;
      set('down');
      ctx.log.warn({ gateway, reason }, 'tor in the gateway is down');
      ctx.events.emit('gateway-tor-down', { qube: gateway, reason, network });
    }
  })();
}

export function unwatchTor(ctx: DaemonContext, gateway: string): void {
  const k = key(ctx, gateway);
  watches.get(k)?.stop();
  watches.delete(k);
}
