// A gateway's bridges, kept in the state database (feature gateway.bridges, one torrc Bridge line per line); set only whole and valid.
import { BulkheadError } from '../../errors/index.js';
import { parseBridgeLine, parseBridges, type Bridge } from '../../gateway/index.js';
import { isGateway, type QubeRecord } from '../../model/index.js';
import type { DaemonContext } from '../../daemon/context.js';
import { removeFeature, setFeature } from '../../daemon/lifecycle/manage.js';
import { gatewayNetwork } from './profile.js';

export const BRIDGES_FEATURE = 'gateway.bridges';

/**
 * The stored bridges, parsed again: the feature can also be written by `bulkhead features`, so a bad
 * value stops the gateway's start with the line named rather than reaching tor.
 */
export function storedBridges(gw: QubeRecord): Bridge[] {
  const v = gw.features[BRIDGES_FEATURE];
  if (v === undefined || v === '') return [];
  return v.split('\n').map((l, i) => parseBridgeLine(l, `feature ${BRIDGES_FEATURE} of '${gw.name}', line ${i + 1}`));
}

export function requireGateway(ctx: DaemonContext, name: string): QubeRecord {
  const q = ctx.store.requireQube(name);
  if (!isGateway(q)) throw new BulkheadError('ERR_INVALID_VALUE', `'${name}' is not a gateway (feature gateway)`);
  return q;
}

/** Replace a gateway's bridges by these lines. Every line is checked first: a bad set changes nothing. */
export function setBridges(ctx: DaemonContext, gateway: string, untrustedLines: unknown, source: string): Bridge[] {
  requireGateway(ctx, gateway);
  const bridges = parseBridges(untrustedLines, source);
  setFeature(ctx, gateway, BRIDGES_FEATURE, bridges.map((b) => b.line).join('\n'));
  announce(ctx, gateway, bridges.length);
  return bridges;
}

export function clearBridges(ctx: DaemonContext, gateway: string): void {
  const gw = requireGateway(ctx, gateway);
  if (gw.features[BRIDGES_FEATURE] === undefined) return;
  removeFeature(ctx, gateway, BRIDGES_FEATURE);
  announce(ctx, gateway, 0);
}

function announce(ctx: DaemonContext, gateway: string, count: number): void {
  const sys = ctx.store.system();
  ctx.events.emit('gateway-bridges-changed', { qube: gateway, network: gatewayNetwork(sys, sys.qubes.get(gateway)!), bridges: count });
}
