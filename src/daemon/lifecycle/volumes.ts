// The daemon's use of storage/: volumes made at create, prepared at start, settled at stop.
import { effective, usesTemplate, type QubeClass, type QubeRecord, type SystemView } from '../../model/index.js';
import {
  cloneQubeVolumes,
  commitTemplateRoot,
  createQubeVolumes,
  prepareVolumesForStart,
  privateHoldsData,
  pruneRootRevisions,
  recordLowerRoot,
  removeQubeVolumes,
  rootsInUse,
  settleVolumesAfterStop,
  treeUsage,
  volumePaths,
  type VolumeClass,
} from '../../storage/index.js';
import type { DaemonContext } from '../context.js';
import type { KeyFile } from '../../crypt/index.js';
import { uidBaseOf } from '../context.js';
import { rootSource } from './spec.js';

const vclass = (k: QubeClass) => k as VolumeClass;
const privateBytes = (ctx: DaemonContext, q: QubeRecord) => effective(q, 'private_size', ctx.store.system()) as number;
/** A template's or standalone's persistent root layer is bounded by root_size (app qubes and disposables: volatile_size, a tmpfs). */
const rootBytes = (ctx: DaemonContext, q: QubeRecord) =>
  q.klass === 'template' || q.klass === 'standalone' ? (effective(q, 'root_size', ctx.store.system()) as number) : undefined;

export async function createVolumes(ctx: DaemonContext, q: QubeRecord, copyRootFrom?: string, encrypt?: { key: Buffer; keyFile: KeyFile }): Promise<void> {
  await createQubeVolumes(ctx.paths.qubesDir, q.name, {
    class: vclass(q.klass),
    uidBase: uidBaseOf(ctx, q.qid),
    copyRootFrom: copyRootFrom ? volumePaths(ctx.paths.qubesDir, copyRootFrom).rootfs : undefined,
    privateBytes: privateBytes(ctx, q),
    rootBytes: rootBytes(ctx, q),
    encrypt,
    amnesic: q.klass === 'disposable' ? effective(q, 'amnesic', ctx.store.system()) !== false : undefined,
  });
}

export async function removeVolumes(ctx: DaemonContext, name: string): Promise<void> {
  await removeQubeVolumes(ctx.paths.qubesDir, name);
}

export async function cloneVolumes(ctx: DaemonContext, src: string, dst: QubeRecord): Promise<void> {
  const s = ctx.store.requireQube(src);
  await cloneQubeVolumes(ctx.paths.qubesDir, src, dst.name, { class: vclass(s.klass), fromUidBase: uidBaseOf(ctx, s.qid), toUidBase: uidBaseOf(ctx, dst.qid) });
}

/** Whether the private volume holds any file (deleting it then needs --force); walked without following the qube's symlinks. */
export async function volumeHasData(ctx: DaemonContext, name: string): Promise<boolean> {
  return privateHoldsData(ctx.paths.qubesDir, name);
}

export async function prepareVolumesAtStart(ctx: DaemonContext, q: QubeRecord): Promise<void> {
  await prepareVolumesForStart(ctx.paths.qubesDir, q.name, {
    class: vclass(q.klass),
    uidBase: uidBaseOf(ctx, q.qid),
    privateBytes: privateBytes(ctx, q),
    rootBytes: rootBytes(ctx, q),
  });
}

export async function commitVolumesAtStop(ctx: DaemonContext, q: QubeRecord): Promise<void> {
  const sys = ctx.store.system();
  const keep = effective(q, 'revisions_to_keep', sys) as number;
  await settleVolumesAfterStop(ctx.paths.qubesDir, q.name, { class: vclass(q.klass), revisionsToKeep: keep });
  if (q.klass === 'template') await commitRootAtStop(ctx, q, keep);
  if (!usesTemplate(q.klass)) return;
  // This qube no longer holds its template's root: an earlier root kept only for it may go now.
  const t = rootSourceOf(q, sys);
  if (!t) return;
  await ctx.locks.run(t.name, async () => {
    await pruneRootRevisions(
      volumePaths(ctx.paths.qubesDir, t.name).dir,
      effective(t, 'revisions_to_keep', ctx.store.system()) as number,
      await rootsInUse(ctx.paths.qubesDir),
    );
  });
}

/**
 * Qubes: a template's changes reach its app qubes at their next start. A commit that fails (disk
 * full, no overlay support) loses nothing: the upper stays and the next stop tries again; it is
 * logged and audited, since app qubes then keep starting from the previous root.
 */
async function commitRootAtStop(ctx: DaemonContext, q: QubeRecord, keep: number): Promise<void> {
  try {
    const r = await commitTemplateRoot(volumePaths(ctx.paths.qubesDir, q.name).dir, {
      uidBase: uidBaseOf(ctx, q.qid),
      keep,
      inUse: await rootsInUse(ctx.paths.qubesDir),
    });
    if (r.savedAs) ctx.store.audit('admin', 'template-root-committed', q.name, { savedAs: r.savedAs, pruned: r.pruned });
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    ctx.log.error({ err: e, qube: q.name }, 'template root commit failed; app qubes keep the previous root');
    ctx.store.audit('admin', 'template-root-commit-failed', q.name, { reason });
  }
}

function rootSourceOf(q: QubeRecord, sys: SystemView): QubeRecord | null {
  try {
    return rootSource(q, sys);
  } catch {
    return null;
  }
}

/**
 * Mount a qube's root while its template's root cannot change: the template's lock is held while
 * the lower is recorded and mounted, so a commit never swaps `rootfs/` in between.
 */
export async function withTemplateRoot<T>(ctx: DaemonContext, q: QubeRecord, lowerDir: string, mount: () => Promise<T>): Promise<T> {
  if (!usesTemplate(q.klass)) return mount();
  const t = rootSource(q, ctx.store.system());
  return ctx.locks.run(t.name, async () => {
    await recordLowerRoot(volumePaths(ctx.paths.qubesDir, q.name).dir, lowerDir);
    return mount();
  });
}
