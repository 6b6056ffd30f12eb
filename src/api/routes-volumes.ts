// Admin API: a qube's volumes, the private volume's revisions, and revert (Qubes' qvm-volume).
import type { FastifyInstance } from 'fastify';
import { BulkheadError } from '../errors/index.js';
import { listRevisions, listRootRevisions, revertPrivate, revertTemplateRoot, volumeInfo, volumePaths, type VolumeClass } from '../storage/index.js';
import type { DaemonContext } from '../daemon/context.js';
import { isRunning } from '../daemon/lifecycle/power.js';
import { resizeVolume } from '../daemon/lifecycle/resize.js';
import { isImage, waitImageReleased } from '../storage/image.js';
import { effective } from '../model/index.js';
import { nameParam } from '../contract/index.js';
import { resizeBody, revertBody, rootRevertBody } from '../contract/storage.js';
import { readKeyFile } from '../crypt/index.js';

export function volumeRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  app.get('/qubes/:name/volumes', async (req) => {
    const q = ctx.store.requireQube(nameParam.parse(req.params).name);
    const info: Awaited<ReturnType<typeof volumeInfo>> & { encrypted?: boolean } = await volumeInfo(ctx.paths.qubesDir, q.name, q.klass as VolumeClass);
    // Encrypted at rest (fscrypt): its private volume, and a standalone's root layer.
    info.encrypted = (await readKeyFile(info.dir)) !== null;
    // tmpfs volumes are made at start with the size the properties give.
    const sys = ctx.store.system();
    for (const v of info.volumes) {
      if (v.bound !== 'tmpfs') continue;
      v.sizeBytes = effective(q, v.kind === 'private' ? 'private_size' : 'volatile_size', sys) as number;
    }
    return info;
  });
  app.post('/qubes/:name/volumes/:volume/resize', async (req) => {
    const { name } = nameParam.parse({ name: (req.params as { name?: unknown }).name });
    const volume = String((req.params as { volume?: unknown }).volume ?? '');
    const { size } = resizeBody.parse(req.body);
    return resizeVolume(ctx, name, volume, size);
  });
  app.get('/qubes/:name/volumes/private/revisions', async (req) => {
    const q = ctx.store.requireQube(nameParam.parse(req.params).name);
    return { revisions: await listRevisions(volumePaths(ctx.paths.qubesDir, q.name).dir) };
  });
  app.post('/qubes/:name/volumes/private/revert', async (req) => {
    const q = ctx.store.requireQube(nameParam.parse(req.params).name);
    const { revision } = revertBody.parse(req.body);
    return ctx.locks.run(q.name, async () => {
      if (isRunning(ctx, q.name)) throw new BulkheadError('ERR_QUBE_RUNNING', `'${q.name}' is running; shut it down before reverting its private volume`);
      const vp = volumePaths(ctx.paths.qubesDir, q.name);
      if (await isImage(vp.private)) await waitImageReleased(vp.private);
      const r = await revertPrivate(vp.dir, revision);
      ctx.store.audit('admin', 'volume-reverted', q.name, { volume: 'private', revision, savedAs: r.savedAs });
      return r;
    });
  });
  // A template's earlier roots (kept at each stop that committed changes) and their revert.
  app.get('/qubes/:name/volumes/root/revisions', async (req) => {
    const q = ctx.store.requireQube(nameParam.parse(req.params).name);
    return { revisions: await listRootRevisions(volumePaths(ctx.paths.qubesDir, q.name).dir) };
  });
  app.post('/qubes/:name/volumes/root/revert', async (req) => {
    const q = ctx.store.requireQube(nameParam.parse(req.params).name);
    const { revision } = rootRevertBody.parse(req.body ?? {});
    if (q.klass !== 'template') throw new BulkheadError('ERR_INVALID_VALUE', `'${q.name}' is not a template; only a template's root has revisions`);
    return ctx.locks.run(q.name, async () => {
      if (isRunning(ctx, q.name)) throw new BulkheadError('ERR_QUBE_RUNNING', `'${q.name}' is running; shut it down before reverting its root`);
      const r = await revertTemplateRoot(volumePaths(ctx.paths.qubesDir, q.name).dir, revision);
      ctx.store.audit('admin', 'volume-reverted', q.name, { volume: 'root', revision: r.restored, savedAs: r.savedAs });
      return r;
    });
  });
}
