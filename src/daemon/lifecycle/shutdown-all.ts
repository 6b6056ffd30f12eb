// Shut every running qube down in netvm-chain order (qvm-shutdown --all): users first, sys-net last.
import { effective, shutdownSteps } from '../../model/index.js';
import type { DaemonContext } from '../context.js';
import { isRunning, shutdownQube, unpauseQube } from './power.js';
import type { ShutdownAllReport } from '../../contract/system.js';
export type { ShutdownAllReport };

/**
 * Shuts down every running or paused qube, one step of the netvm chain at a time (the qubes of a
 * step together), each within its own shutdown_timeout but never past the overall `timeoutS`: a
 * qube still up when its time ends is killed by the runtime. A qube that cannot be stopped is
 * reported and the next steps still run (forced: its netvm would otherwise wait forever).
 */
export async function shutdownAll(ctx: DaemonContext, timeoutS: number): Promise<ShutdownAllReport> {
  const began = Date.now();
  const deadline = began + timeoutS * 1000;
  const running = [...ctx.store.system().qubes.values()].filter((q) => q.klass !== 'admin' && isRunning(ctx, q.name)).map((q) => q.name);
  const steps = shutdownSteps(ctx.store.system(), running);
  const report: ShutdownAllReport = { steps, stopped: [], failed: [], seconds: 0 };
  ctx.store.audit('admin', 'shutdown-all', null, { steps, timeout: timeoutS });
  for (const step of steps) {
    const left = Math.max(1, Math.floor((deadline - Date.now()) / 1000));
    const results = await Promise.allSettled(
      step.map(async (name) => {
        if (!isRunning(ctx, name)) return; // stopped meanwhile (a disposable that ended on its own)
        // A paused qube cannot take SIGTERM: it resumes first, so it shuts down cleanly instead of being killed.
        if (ctx.store.power(name) === 'paused') await unpauseQube(ctx, name);
        const own = effective(ctx.store.requireQube(name), 'shutdown_timeout', ctx.store.system()) as number;
        await shutdownQube(ctx, name, { timeoutS: Math.min(own, left), force: true });
      }),
    );
    results.forEach((r, i) => {
      const name = step[i] as string;
      if (r.status === 'fulfilled') report.stopped.push(name);
      else {
        const reason = r.reason instanceof Error ? r.reason.message : String(r.reason);
        report.failed.push({ qube: name, reason });
        ctx.log.error({ qube: name, reason }, `shutdown of ${name} failed: ${reason}`);
      }
    });
  }
  report.seconds = Math.round((Date.now() - began) / 100) / 10;
  return report;
}
