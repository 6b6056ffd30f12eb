// Autostart: when the daemon starts, qubes with autostart=true start one by one along the netvm chain.
import { effective, startOrder } from '../../model/index.js';
import type { DaemonContext } from '../context.js';
import { isRunning, startQube } from './power.js';

export interface AutostartReport {
  started: string[];
  failed: Array<{ qube: string; reason: string }>;
}

/**
 * Starts every halted qube with autostart=true, a netvm before the qubes that use it, one at a
 * time so the order shows in the events and the audit log. Each gets one `qube-autostart` audit
 * row (started or failed, with the reason); a failure is logged and the others still start, except
 * that a qube whose netvm just failed is not tried again through it (its row names the netvm).
 */
export async function autostartQubes(ctx: DaemonContext, start: (ctx: DaemonContext, name: string) => Promise<unknown> = startQube): Promise<AutostartReport> {
  const sys = ctx.store.system();
  const wanted = [...sys.qubes.values()].filter((q) => q.klass !== 'admin' && effective(q, 'autostart', sys) === true).map((q) => q.name);
  const report: AutostartReport = { started: [], failed: [] };
  const failed = new Set<string>();
  for (const name of startOrder(sys, wanted)) {
    if (isRunning(ctx, name)) continue; // found running again by reconcile: not started twice
    const q = ctx.store.getQube(name);
    const netvm = q ? effective(q, 'netvm', ctx.store.system()) : null;
    let reason: string | null = null;
    if (typeof netvm === 'string' && failed.has(netvm)) reason = `its netvm '${netvm}' failed to start`;
    else {
      try {
        await start(ctx, name);
      } catch (e) {
        reason = e instanceof Error ? e.message : String(e);
      }
    }
    if (reason === null) {
      report.started.push(name);
      ctx.store.audit('admin', 'qube-autostart', name, { result: 'started' });
      ctx.log.info({ qube: name }, 'autostart: started');
    } else {
      failed.add(name);
      report.failed.push({ qube: name, reason });
      ctx.store.audit('admin', 'qube-autostart', name, { result: 'failed', reason });
      ctx.log.error({ qube: name, reason }, `autostart of ${name} failed: ${reason}`);
    }
  }
  ctx.log.info({ report }, 'autostart done');
  return report;
}
