// Start, shutdown, kill, pause, unpause: the qube lifecycle with Qubes' pre-start/start/start-failed events.
import { existsSync } from 'node:fs';
import { BulkheadError } from '../../errors/index.js';
import { effective, type QubeRecord } from '../../model/index.js';
import type { QubeRuntimeSpec } from '../../runtime/types.js';
import type { DaemonContext } from '../context.js';
import { buildSpec, runtimeId } from './spec.js';
import { readKeyFile, unlockVolumeKey } from '../../crypt/index.js';
import { volumePaths } from '../../storage/layout.js';
import { commitVolumesAtStop, createVolumes, prepareVolumesAtStart, removeVolumes, withTemplateRoot } from './volumes.js';

const ACTOR = 'admin';

export async function specFor(ctx: DaemonContext, name: string): Promise<QubeRuntimeSpec> {
  const sys = ctx.store.system();
  const q = sys.qubes.get(name);
  if (!q) throw new BulkheadError('ERR_NO_SUCH_QUBE', `no qube named '${name}'`);
  return buildSpec(ctx, q, sys);
}

export function isRunning(ctx: DaemonContext, name: string): boolean {
  const s = ctx.store.power(name);
  return s === 'running' || s === 'paused';
}

/** Start a qube and, first, the netvm chain it depends on (as Qubes does). */
export async function startQube(
  ctx: DaemonContext,
  name: string,
  depth = 0,
  opts: { passphrase?: string } = {},
): Promise<{ pid: number; alreadyRunning: boolean }> {
  if (depth > 8) throw new BulkheadError('ERR_INVALID_VALUE', `netvm chain of '${name}' is too deep`);
  const q = ctx.store.requireQube(name);
  if (q.klass === 'admin') throw new BulkheadError('ERR_INVALID_VALUE', `'${name}' is the admin qube and always runs`);
  // An encrypted qube: a missing or wrong passphrase stops here, before anything changes (its
  // netvm chain is not started either). The key is wiped once the kernel has it, or on failure.
  const volDir = volumePaths(ctx.paths.qubesDir, name).dir;
  // (A running qube needs none, unless its passphrase is given: its record may say running after its end.)
  const needKey = (opts.passphrase !== undefined || !isRunning(ctx, name)) && (await readKeyFile(volDir)) !== null;
  const key = needKey ? (await unlockVolumeKey(volDir, name, opts.passphrase)).key : undefined;
  try {
    const netvm = effective(q, 'netvm', ctx.store.system());
    if (typeof netvm === 'string' && !isRunning(ctx, netvm)) await startQube(ctx, netvm, depth + 1);
    return await startLocked(ctx, name, key);
  } finally {
    key?.fill(0);
  }
}

async function startLocked(ctx: DaemonContext, name: string, key: Buffer | undefined): Promise<{ pid: number; alreadyRunning: boolean }> {
  return ctx.locks.run(name, async () => {
    if (isRunning(ctx, name)) {
      const inst = await ctx.runtime.state(runtimeId(ctx, name));
      if (inst && inst.status !== 'stopped') return { pid: inst.pid, alreadyRunning: true };
    }
    const sys = ctx.store.system();
    const rec = sys.qubes.get(name) as QubeRecord;
    const spec = buildSpec(ctx, rec, sys);
    if (spec.crypt) {
      // Became encrypted, or stopped, between the check above and the lock: no key, no start.
      if (!key) throw new BulkheadError('ERR_PASSPHRASE', `'${name}' is encrypted: give its passphrase (--passphrase-file FILE)`);
      spec.crypt.key = Buffer.from(key);
    }
    ctx.events.emit('qube-pre-start', { qube: name });
    try {
      await prepareVolumesAtStart(ctx, rec);
      for (const h of ctx.hooks) {
        const add = await h.preStart?.(ctx, name);
        if (add) {
          if (add.netnsPath !== undefined) spec.netnsPath = add.netnsPath;
          if (add.mounts) spec.mounts.push(...add.mounts);
          if (add.env) Object.assign(spec.env, add.env);
          if (add.hostname) spec.hostname = add.hostname;
          if (add.extraCaps) (spec as QubeRuntimeSpec & { extraCaps?: string[] }).extraCaps = add.extraCaps;
        }
      }
      // Leftovers of an earlier crash would make crun refuse the id (none after a clean stop).
      if (existsSync(spec.runDir) || (await ctx.runtime.state(spec.id))) await ctx.runtime.cleanup(spec);
      const inst = await withTemplateRoot(ctx, rec, spec.lowerDir, () => ctx.runtime.start(spec));
      ctx.store.setPower(ACTOR, name, 'running', 'qube-started', { pid: inst.pid, uidBase: spec.uidBase });
      ctx.events.emit('qube-started', { qube: name, pid: inst.pid });
      for (const h of ctx.hooks) await h.postStart?.(ctx, name, inst.pid);
      return { pid: inst.pid, alreadyRunning: false };
    } catch (e) {
      spec.crypt?.key?.fill(0);
      const reason = e instanceof Error ? e.message : String(e);
      await ctx.runtime.kill(spec).catch(() => undefined);
      for (const h of ctx.hooks) await h.postStop?.(ctx, name).catch(() => undefined);
      ctx.store.setPower(ACTOR, name, 'halted', 'qube-start-failed', { reason });
      ctx.events.emit('qube-start-failed', { qube: name, reason });
      throw e instanceof BulkheadError ? e : new BulkheadError('ERR_RUNTIME', `cannot start '${name}': ${reason}`, { cause: e });
    }
  });
}

/** Qubes whose netvm is `name` and that run now. */
export function runningDependents(ctx: DaemonContext, name: string): string[] {
  const sys = ctx.store.system();
  return [...sys.qubes.values()].filter((o) => effective(o, 'netvm', sys) === name && isRunning(ctx, o.name)).map((o) => o.name);
}

export async function shutdownQube(ctx: DaemonContext, name: string, opts: { timeoutS?: number; force?: boolean } = {}): Promise<void> {
  const deps = runningDependents(ctx, name);
  if (deps.length && !opts.force) {
    throw new BulkheadError('ERR_QUBE_IN_USE', `'${name}' is the netvm of running qubes: ${deps.join(', ')}`);
  }
  await ctx.locks.run(name, async () => {
    const q = ctx.store.requireQube(name);
    if (!isRunning(ctx, name)) throw new BulkheadError('ERR_QUBE_NOT_RUNNING', `'${name}' is not running`);
    const spec = await specFor(ctx, name);
    const timeoutS = opts.timeoutS ?? (effective(q, 'shutdown_timeout', ctx.store.system()) as number);
    await ctx.runtime.stop(spec, timeoutS * 1000);
    await afterStop(ctx, name, 'shutdown');
  });
}

export async function killQube(ctx: DaemonContext, name: string): Promise<void> {
  await ctx.locks.run(name, async () => {
    ctx.store.requireQube(name);
    if (!isRunning(ctx, name)) throw new BulkheadError('ERR_QUBE_NOT_RUNNING', `'${name}' is not running`);
    const spec = await specFor(ctx, name);
    await ctx.runtime.kill(spec);
    await afterStop(ctx, name, 'killed');
  });
}

/** Common end of every stop: hooks, volume commit, power state, event. */
export async function afterStop(ctx: DaemonContext, name: string, reason: string): Promise<void> {
  for (const h of ctx.hooks) await h.postStop?.(ctx, name).catch((e: unknown) => ctx.log.warn({ err: e, qube: name }, 'postStop hook failed'));
  const q = ctx.store.getQube(name);
  if (q) await commitVolumesAtStop(ctx, q);
  ctx.store.setPower(ACTOR, name, 'halted', 'qube-stopped', { reason });
  ctx.events.emit('qube-stopped', { qube: name, reason });
  if (q?.klass === 'disposable') await disposeAfterStop(ctx, q);
}

/**
 * A disposable leaves nothing: an unnamed one (auto_cleanup) is removed with all its data; a named
 * one keeps its record but gets fresh, empty volumes for its next start. Runs inside the qube's lock.
 */
async function disposeAfterStop(ctx: DaemonContext, q: QubeRecord): Promise<void> {
  await removeVolumes(ctx, q.name);
  if (effective(q, 'auto_cleanup', ctx.store.system()) === true) {
    ctx.store.removeQube(ACTOR, q.name, { reason: 'disposable stopped' });
    ctx.events.emit('qube-removed', { qube: q.name });
  } else {
    await createVolumes(ctx, q);
  }
}

export async function pauseQube(ctx: DaemonContext, name: string): Promise<void> {
  await ctx.locks.run(name, async () => {
    const s = ctx.store.power(ctx.store.requireQube(name).name);
    if (s !== 'running') throw new BulkheadError('ERR_QUBE_NOT_RUNNING', `'${name}' is not running`);
    await ctx.runtime.pause(runtimeId(ctx, name));
    ctx.store.setPower(ACTOR, name, 'paused', 'qube-paused');
    ctx.events.emit('qube-paused', { qube: name });
  });
}

export async function unpauseQube(ctx: DaemonContext, name: string): Promise<void> {
  await ctx.locks.run(name, async () => {
    const s = ctx.store.power(ctx.store.requireQube(name).name);
    if (s !== 'paused') throw new BulkheadError('ERR_INVALID_VALUE', `'${name}' is not paused`);
    await ctx.runtime.unpause(runtimeId(ctx, name));
    ctx.store.setPower(ACTOR, name, 'running', 'qube-unpaused');
    ctx.events.emit('qube-unpaused', { qube: name });
  });
}
