// Admin API: templates — build (mmdebstrap, progress streamed), import, list.
import type { FastifyInstance } from 'fastify';
import { rm, rmdir } from 'node:fs/promises';
import { BulkheadError } from '../errors/index.js';
import { buildTemplate, importTemplate, volumePaths } from '../storage/index.js';
import type { DaemonContext } from '../daemon/context.js';
import { createQube, removeQube } from '../daemon/lifecycle/manage.js';
import { isRunning } from '../daemon/lifecycle/power.js';
import { templateBuildBody, templateImportBody } from '../contract/storage.js';

/** Make (or find) the template qube and an empty place for its root filesystem. */
async function prepareTemplateQube(ctx: DaemonContext, name: string, label: string): Promise<{ rootfs: string; created: boolean } | null> {
  const existing = ctx.store.getQube(name);
  const rootfs = volumePaths(ctx.paths.qubesDir, name).rootfs;
  if (existing) {
    if (existing.klass !== 'template') throw new BulkheadError('ERR_QUBE_EXISTS', `'${name}' exists and is a ${existing.klass} qube, not a template`);
    try {
      await rmdir(rootfs); // an empty root left by a failed build: fill it now
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOTEMPTY' || (e as NodeJS.ErrnoException).code === 'EEXIST') return null; // reuse
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    return { rootfs, created: false };
  }
  await createQube(ctx, { name, klass: 'template', label });
  await rm(rootfs, { recursive: true, force: true }).catch(() => undefined);
  return { rootfs, created: true };
}

export function templateRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  app.get('/templates', async () => ({
    templates: ctx.store
      .listQubes()
      .filter((q) => q.klass === 'template')
      .map((q) => ({ name: q.name, label: q.label, running: isRunning(ctx, q.name), rootfs: volumePaths(ctx.paths.qubesDir, q.name).rootfs })),
  }));

  // Progress goes out as newline-delimited JSON while mmdebstrap runs; the last line is the result.
  app.post('/templates/build', async (req, reply) => {
    const b = templateBuildBody.parse(req.body);
    const prep = await prepareTemplateQube(ctx, b.name, 'black');
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    const line = (o: unknown) => res.write(`${JSON.stringify(o)}\n`);
    if (!prep) {
      line({ result: { name: b.name, reused: true } });
      res.end();
      return;
    }
    try {
      const r = await buildTemplate({
        name: b.flavor ?? (b.name.startsWith('debian-12') ? b.name : 'debian-12'),
        destDir: prep.rootfs,
        cacheDir: ctx.paths.cacheDir,
        refresh: b.refresh,
        onProgress: (p) => line({ progress: p }),
      });
      ctx.store.audit('admin', 'template-built', b.name, { fromCache: r.fromCache, seconds: r.seconds, packages: r.packages, tarball: r.tarball });
      line({ result: { name: b.name, reused: false, fromCache: r.fromCache, seconds: r.seconds } });
    } catch (e) {
      if (prep.created) await removeQube(ctx, b.name, { force: true }).catch(() => undefined);
      line({ error: e instanceof BulkheadError ? e.code : 'ERR_TEMPLATE', message: e instanceof Error ? e.message : String(e) });
    }
    res.end();
  });

  app.post('/templates/import', async (req, reply) => {
    const b = templateImportBody.parse(req.body);
    if (ctx.store.getQube(b.name)) throw new BulkheadError('ERR_QUBE_EXISTS', `a qube named '${b.name}' already exists`);
    const prep = await prepareTemplateQube(ctx, b.name, b.label ?? 'black');
    if (!prep) throw new BulkheadError('ERR_QUBE_EXISTS', `template '${b.name}' already has a root filesystem`);
    try {
      const r = await importTemplate(b.source, prep.rootfs, { hostname: b.name });
      ctx.store.audit('admin', 'template-imported', b.name, { source: b.source, seconds: r.seconds });
      return reply.status(201).send({ name: b.name, seconds: r.seconds });
    } catch (e) {
      await removeQube(ctx, b.name, { force: true }).catch(() => undefined);
      throw e;
    }
  });
}
