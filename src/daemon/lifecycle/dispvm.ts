// Disposables: made from a disposable template for one task, destroyed at stop with all their data.
import { randomInt } from 'node:crypto';
import { BulkheadError } from '../../errors/index.js';
import { checkDispvmFor, effective } from '../../model/index.js';
import type { DaemonContext } from '../context.js';
import { createQube, removeQube } from './manage.js';
import { isRunning, killQube, shutdownQube, startQube } from './power.js';

/** Pick the disposable template: explicit, else the caller's default_dispvm, else the global one. */
export function resolveDispvmTemplate(ctx: DaemonContext, explicit: string | undefined, caller?: string): string {
  const sys = ctx.store.system();
  let t: unknown = explicit;
  if (!t && caller) {
    const c = sys.qubes.get(caller);
    if (c) t = effective(c, 'default_dispvm', sys);
  }
  if (!t) t = sys.globals.default_dispvm;
  if (typeof t !== 'string' || !t) throw new BulkheadError('ERR_INVALID_VALUE', 'default_dispvm: no disposable template given and none is set');
  const tq = sys.qubes.get(t);
  if (!tq) throw new BulkheadError('ERR_NO_SUCH_QUBE', `no qube named '${t}'`);
  if (effective(tq, 'template_for_dispvms', sys) !== true) {
    throw new BulkheadError('ERR_INVALID_VALUE', `'${t}' is not a disposable template (template_for_dispvms=false)`);
  }
  return t;
}

function freeDispName(ctx: DaemonContext): string {
  for (let i = 0; i < 100; i++) {
    const n = `disp${randomInt(1, 10000)}`;
    if (!ctx.store.getQube(n)) return n;
  }
  throw new BulkheadError('ERR_INTERNAL', 'no free disposable name');
}

/** Create (and start) a disposable; unnamed ones are dispNNNN. */
export async function createDisposable(
  ctx: DaemonContext,
  opts: { template?: string; caller?: string; name?: string; label?: string; start?: boolean },
): Promise<string> {
  const tpl = resolveDispvmTemplate(ctx, opts.template, opts.caller);
  const tq = ctx.store.requireQube(tpl);
  const sys = ctx.store.system();
  // Every path that makes a disposable for a qube passes here: an anonymous caller never gets a clearnet one.
  if (opts.caller) checkDispvmFor(sys, opts.caller, tpl, `@dispvm:${tpl}`);
  const name = opts.name ?? freeDispName(ctx);
  const netvm = effective(tq, 'netvm', sys);
  await createQube(
    ctx,
    {
      name,
      klass: 'disposable',
      label: opts.label ?? tq.label,
      template: tpl,
      props: {
        netvm: netvm === null ? 'none' : String(netvm),
        auto_cleanup: opts.name ? 'false' : 'true',
        memory: String(effective(tq, 'memory', sys)),
        maxmem: String(effective(tq, 'maxmem', sys)),
        vcpus: String(effective(tq, 'vcpus', sys)),
        // Qubes: a disposable's volumes are the size of its disposable template's.
        private_size: String(effective(tq, 'private_size', sys)),
        volatile_size: String(effective(tq, 'volatile_size', sys)),
        // Fixed for the disposable's life: its volumes are made in RAM or on disk by it at create.
        amnesic: String(effective(tq, 'amnesic', sys)),
        audit_level: String(effective(tq, 'audit_level', sys)),
      },
      tags: tq.tags,
      features: tq.features,
    },
    { allowDisposable: true, actor: 'admin' },
  );
  if (opts.start !== false) {
    try {
      await startQube(ctx, name);
    } catch (e) {
      await removeQube(ctx, name, { force: true }).catch(() => undefined);
      throw e;
    }
  }
  return name;
}

/** Stop a disposable (kill if it will not stop) and remove it with all its data. */
export async function destroyDisposable(ctx: DaemonContext, name: string): Promise<void> {
  const q = ctx.store.getQube(name);
  if (!q) return;
  if (q.klass !== 'disposable') throw new BulkheadError('ERR_INVALID_VALUE', `'${name}' is not a disposable`);
  if (isRunning(ctx, name)) {
    await shutdownQube(ctx, name, { timeoutS: 2, force: true }).catch(async () => killQube(ctx, name).catch(() => undefined));
  }
  // An unnamed disposable is gone already (removed at stop); a named one is removed now.
  if (ctx.store.getQube(name)) await removeQube(ctx, name, { force: true });
}
