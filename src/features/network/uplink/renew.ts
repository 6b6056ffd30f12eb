// DHCP lease renewal of sys-nets with an exclusive uplink: at half the lease, the client in sys-net asks again; a changed answer is applied.
import type { DaemonContext } from '../../../daemon/context.js';
import { ipBatch } from '../../../net/index.js';
import { allRecords } from '../../../net/host-uplink/index.js';
import { QUBE_IF } from '../names.js';
import { configFromFeatures, leaseChangeLines, renewalDelayS, RENEW_RETRY_S, type HostUplinkConfig, type Lease } from '../../../uplink/index.js';

/** One renewal per sys-net: its timer, and a token a renewal in flight checks before it goes on (a stop cancels it). */
const timers = new Map<string, { timer: NodeJS.Timeout; token: object }>();

export function cancelRenewal(qube: string): void {
  const t = timers.get(qube);
  if (t) clearTimeout(t.timer);
  timers.delete(qube);
}

export function scheduleRenewal(
  ctx: DaemonContext,
  qube: string,
  ns: string,
  cfg: HostUplinkConfig,
  lease: Lease,
  onDns: (dns: string[]) => Promise<void>,
  delayS = renewalDelayS(lease.leaseS),
): void {
  cancelRenewal(qube);
  const token = {};
  const live = () => timers.get(qube)?.token === token;
  const timer = setTimeout(() => {
    void (async () => {
      const { requestLease, resolversOf } = await import('./attach.js');
      try {
        const next = await requestLease(ctx, qube, ns);
        if (!live()) return;
        const lines = leaseChangeLines(QUBE_IF, lease, next);
        if (lines.length) await ipBatch(lines, { netns: ns });
        const dns = resolversOf(cfg, next);
        // A lease resumed after a daemon restart carries no resolvers: the first renewal hands them over again.
        if (dns.join(',') !== (cfg.settings.dns.length ? cfg.settings.dns : lease.dns).join(',')) await onDns(dns);
        ctx.log.info({ qube, address: next.address, changed: lines.length > 0, leaseS: next.leaseS }, 'host uplink: DHCP lease renewed');
        if (live()) scheduleRenewal(ctx, qube, ns, cfg, next, onDns);
      } catch (e) {
        ctx.log.warn({ qube, err: e instanceof Error ? e.message : String(e) }, 'host uplink: DHCP renewal failed; retrying');
        if (live()) scheduleRenewal(ctx, qube, ns, cfg, lease, onDns, RENEW_RETRY_S);
      }
    })();
  }, delayS * 1000);
  timer.unref();
  timers.set(qube, { timer, token });
}

/**
 * After a daemon restart: every running sys-net with a DHCP uplink gets its renewal again, a minute
 * from now, from the address and route eth0 holds (the lease's time and resolvers were in the old
 * daemon's memory only).
 */
export async function resumeRenewals(
  ctx: DaemonContext,
  nsOf: (qube: string) => string,
  onDnsFor: (qube: string) => (dns: string[]) => Promise<void>,
): Promise<void> {
  for (const rec of await allRecords({ runDir: ctx.paths.runDir, prefix: ctx.prefix })) {
    if (rec.mode !== 'exclusive' || timers.has(rec.qube)) continue;
    const q = ctx.store.getQube(rec.qube);
    if (!q) continue;
    const cfg = configFromFeatures(rec.qube, q.features);
    if (cfg.mode !== 'exclusive' || cfg.settings.address !== null) continue;
    const ns = nsOf(rec.qube);
    const out = await ipBatch([`address show dev ${QUBE_IF}`, 'route show default'], { netns: ns, json: true, force: true }).catch(() => '');
    const [addrs, routes] = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown[]);
    const a = (addrs as { addr_info?: { family?: string; local?: string; prefixlen?: number }[] }[] | undefined)?.[0]?.addr_info?.find(
      (x) => x.family === 'inet',
    );
    const gw = (routes as { gateway?: string }[] | undefined)?.[0]?.gateway;
    if (!a?.local || a.prefixlen === undefined || !gw) continue;
    scheduleRenewal(ctx, rec.qube, ns, cfg, { address: `${a.local}/${a.prefixlen}`, gateway: gw, dns: [], leaseS: null }, onDnsFor(rec.qube), RENEW_RETRY_S);
  }
}
