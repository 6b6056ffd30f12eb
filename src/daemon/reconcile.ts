// After a (re)start of the daemon: find running qubes again, clean stale runtime leftovers, start nothing twice.
import { existsSync } from 'node:fs';
import { volumePaths } from '../storage/index.js';
import type { DaemonContext } from './context.js';
import { createVolumes } from './lifecycle/volumes.js';
import { afterStop, specFor } from './lifecycle/power.js';
import { destroyDisposable } from './lifecycle/dispvm.js';
import { runtimeId } from './lifecycle/spec.js';

export interface ReconcileReport {
  volumesRecreated: string[];
  adopted: string[];
  stoppedWhileAway: string[];
  orphansKilled: string[];
  disposablesRemoved: string[];
}

export async function reconcile(ctx: DaemonContext): Promise<ReconcileReport> {
  const report: ReconcileReport = { volumesRecreated: [], adopted: [], stoppedWhileAway: [], orphansKilled: [], disposablesRemoved: [] };
  // A create cut short between its record and its volumes: give the qube its (empty) volumes.
  for (const q of ctx.store.listQubes()) {
    if (q.klass === 'admin' || existsSync(volumePaths(ctx.paths.qubesDir, q.name).dir)) continue;
    await createVolumes(ctx, q).catch((e: unknown) => ctx.log.warn({ err: e, qube: q.name }, 'recreating volumes failed'));
    report.volumesRecreated.push(q.name);
  }
  const instances = new Map((await ctx.runtime.list(`${ctx.prefix}-`)).map((i) => [i.id, i]));
  const power = ctx.store.allPower();
  for (const q of ctx.store.listQubes()) {
    const id = runtimeId(ctx, q.name);
    const inst = instances.get(id);
    instances.delete(id);
    const recorded = power.get(q.name) ?? 'halted';
    const spec = await specFor(ctx, q.name).catch(() => null);
    if (inst && (inst.status === 'running' || inst.status === 'paused')) {
      const state = inst.status === 'paused' ? 'paused' : 'running';
      if (recorded !== state) ctx.store.setPower('admin', q.name, state, 'qube-adopted', { pid: inst.pid });
      report.adopted.push(q.name);
      continue;
    }
    // Not running: whatever the record says, make it halted and clear leftovers.
    if (spec) await ctx.runtime.cleanup(spec).catch((e: unknown) => ctx.log.warn({ err: e, qube: q.name }, 'cleanup failed'));
    if (recorded !== 'halted') {
      await afterStop(ctx, q.name, 'stopped while the daemon was away').catch((e: unknown) => ctx.log.warn({ err: e }, 'afterStop failed'));
      report.stoppedWhileAway.push(q.name);
    }
    if (q.klass === 'disposable' && ctx.store.getQube(q.name)) {
      await destroyDisposable(ctx, q.name).catch((e: unknown) => ctx.log.warn({ err: e }, 'disposable removal failed'));
      report.disposablesRemoved.push(q.name);
    }
  }
  // Runtime instances of ours that no record knows: a create or remove was cut short.
  for (const inst of instances.values()) {
    const name = inst.id.slice(ctx.prefix.length + 1);
    const spec = { id: inst.id, name } as Parameters<typeof ctx.runtime.kill>[0];
    await ctx.runtime.kill({ ...spec, runDir: `${ctx.paths.runDir}/qubes/${name}` } as typeof spec).catch(() => undefined);
    report.orphansKilled.push(inst.id);
  }
  return report;
}
