// The daemon's use of storage/: volumes made at create, prepared at start, settled at stop.
import { effective, type QubeClass, type QubeRecord } from '../../model/index.js';
import {
  cloneQubeVolumes, createQubeVolumes, prepareVolumesForStart, removeQubeVolumes, settleVolumesAfterStop,
  treeUsage, volumePaths, type VolumeClass,
} from '../../storage/index.js';
import type { DaemonContext } from '../context.js';
import { uidBaseOf } from '../context.js';

const vclass = (k: QubeClass) => k as VolumeClass;

export async function createVolumes(ctx: DaemonContext, q: QubeRecord, copyRootFrom?: string): Promise<void> {
  await createQubeVolumes(ctx.paths.qubesDir, q.name, {
    class: vclass(q.klass),
    uidBase: uidBaseOf(ctx, q.qid),
    copyRootFrom: copyRootFrom ? volumePaths(ctx.paths.qubesDir, copyRootFrom).rootfs : undefined,
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
  return (await treeUsage(volumePaths(ctx.paths.qubesDir, name).private)).nonDirs > 0;
}

export async function prepareVolumesAtStart(ctx: DaemonContext, q: QubeRecord): Promise<void> {
  await prepareVolumesForStart(ctx.paths.qubesDir, q.name, { class: vclass(q.klass), uidBase: uidBaseOf(ctx, q.qid) });
}

export async function commitVolumesAtStop(ctx: DaemonContext, q: QubeRecord): Promise<void> {
  const keep = effective(q, 'revisions_to_keep', ctx.store.system()) as number;
  await settleVolumesAfterStop(ctx.paths.qubesDir, q.name, { class: vclass(q.klass), revisionsToKeep: keep });
}
