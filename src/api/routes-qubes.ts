// Admin API: qubes, their properties, tags, features, lifecycle (Qubes' admin.vm.* calls over HTTP).
import type { FastifyInstance } from 'fastify';
import { BulkheadError } from '../errors/index.js';
import type { DaemonContext } from '../daemon/context.js';
import { createDisposable, destroyDisposable } from '../daemon/lifecycle/dispvm.js';
import {
  addTag,
  cloneQube,
  createQube,
  removeFeature,
  removeQube,
  removeTag,
  resetProperty,
  setFeature,
  setGlobal,
  setProperty,
} from '../daemon/lifecycle/manage.js';
import { shutdownAll } from '../daemon/lifecycle/shutdown-all.js';
import { killQube, pauseQube, shutdownQube, startQube, unpauseQube } from '../daemon/lifecycle/power.js';
import { nameParam } from '../contract/index.js';
import { keyParams } from '../contract/common.js';
import { cloneBody, createBody, dispvmBody, passphraseBody, removeQuery, shutdownBody, startBody, tagParams, valueBody } from '../contract/qubes.js';
import { initBody, shutdownAllBody } from '../contract/system.js';
import { changePassphrase } from '../crypt/index.js';
import { volumePaths } from '../storage/layout.js';
import { viewProps, viewQube } from './view.js';
import { z } from 'zod';

export function qubeRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  const { store } = ctx;
  const qubeOf = (params: unknown) => store.requireQube(nameParam.parse(params).name);

  app.get('/qubes', async () => {
    const sys = store.system();
    const power = store.allPower();
    return { qubes: [...sys.qubes.values()].map((q) => viewQube(q, sys, power.get(q.name) ?? 'halted')) };
  });
  app.post('/qubes', async (req, reply) => {
    const b = createBody.parse(req.body);
    const q = await createQube(ctx, {
      name: b.name,
      klass: b.class,
      label: b.label,
      template: b.template,
      props: b.props,
      tags: b.tags,
      features: b.features,
      passphrase: b.passphrase,
    });
    return reply.status(201).send(viewQube(q, store.system(), 'halted'));
  });
  app.get('/qubes/:name', async (req) => {
    const q = qubeOf(req.params);
    return viewQube(q, store.system(), store.power(q.name));
  });
  app.delete('/qubes/:name', async (req) => {
    const q = qubeOf(req.params);
    const { force } = removeQuery.parse(req.query);
    await removeQube(ctx, q.name, { force: force === 'true' });
    return { removed: q.name };
  });
  app.post('/qubes/:name/clone', async (req, reply) => {
    const q = qubeOf(req.params);
    const { name } = cloneBody.parse(req.body);
    const c = await cloneQube(ctx, q.name, name);
    return reply.status(201).send(viewQube(c, store.system(), 'halted'));
  });

  app.post('/qubes/:name/start', async (req) => {
    const q = qubeOf(req.params);
    const b = startBody.parse(req.body ?? {});
    return startQube(ctx, q.name, 0, { passphrase: b.passphrase });
  });
  app.post('/qubes/:name/passphrase', async (req) => {
    const q = qubeOf(req.params);
    const b = passphraseBody.parse(req.body);
    await ctx.locks.run(q.name, () => changePassphrase(volumePaths(ctx.paths.qubesDir, q.name).dir, q.name, b.old, b.new));
    ctx.store.audit('admin', 'passphrase-changed', q.name, {});
    return { changed: q.name };
  });
  app.post('/qubes/:name/shutdown', async (req) => {
    const q = qubeOf(req.params);
    const b = shutdownBody.parse(req.body ?? {});
    await shutdownQube(ctx, q.name, { timeoutS: b.timeout, force: b.force });
    return { state: store.power(q.name) };
  });
  app.post('/shutdown-all', async (req) => {
    const b = shutdownAllBody.parse(req.body ?? {});
    return shutdownAll(ctx, b.timeout ?? 60);
  });
  app.post('/qubes/:name/kill', async (req) => {
    const q = qubeOf(req.params);
    await killQube(ctx, q.name);
    return { state: store.power(q.name) };
  });
  app.post('/qubes/:name/pause', async (req) => {
    const q = qubeOf(req.params);
    await pauseQube(ctx, q.name);
    return { state: 'paused' };
  });
  app.post('/qubes/:name/unpause', async (req) => {
    const q = qubeOf(req.params);
    await unpauseQube(ctx, q.name);
    return { state: 'running' };
  });

  app.get('/qubes/:name/prefs', async (req) => {
    const q = qubeOf(req.params);
    return { props: viewProps(q, store.system()) };
  });
  app.get('/qubes/:name/prefs/:key', async (req) => {
    const { name, key } = keyParams.parse(req.params);
    const q = store.requireQube(name);
    const p = viewProps(q, store.system()).find((x) => x.name === key);
    if (!p)
      throw new BulkheadError('ERR_UNKNOWN_PROPERTY', `unknown property '${key}' for ${q.klass === 'app' || q.klass === 'admin' ? 'an' : 'a'} ${q.klass} qube`);
    return p;
  });
  app.put('/qubes/:name/prefs/:key', async (req) => {
    const { name, key } = keyParams.parse(req.params);
    const { value } = valueBody.parse(req.body);
    return { name: key, value: await setProperty(ctx, name, key, value) };
  });
  app.delete('/qubes/:name/prefs/:key', async (req) => {
    const { name, key } = keyParams.parse(req.params);
    await resetProperty(ctx, name, key);
    return { reset: key };
  });

  app.get('/qubes/:name/tags', async (req) => ({ tags: qubeOf(req.params).tags }));
  app.put('/qubes/:name/tags/:tag', async (req) => {
    const { name, tag } = tagParams.parse(req.params);
    store.requireQube(name);
    addTag(ctx, name, tag);
    return { tags: store.requireQube(name).tags };
  });
  app.delete('/qubes/:name/tags/:tag', async (req) => {
    const { name, tag } = tagParams.parse(req.params);
    store.requireQube(name);
    removeTag(ctx, name, tag);
    return { tags: store.requireQube(name).tags };
  });

  app.get('/qubes/:name/features', async (req) => ({ features: qubeOf(req.params).features }));
  app.put('/qubes/:name/features/:key', async (req) => {
    const { name, key } = keyParams.parse(req.params);
    store.requireQube(name);
    setFeature(ctx, name, key, valueBody.parse(req.body).value);
    return { features: store.requireQube(name).features };
  });
  app.delete('/qubes/:name/features/:key', async (req) => {
    const { name, key } = keyParams.parse(req.params);
    store.requireQube(name);
    removeFeature(ctx, name, key);
    return { features: store.requireQube(name).features };
  });

  app.get('/globals', async () => ({ globals: store.globals() }));
  app.put('/globals/:key', async (req) => {
    const { key } = z.object({ key: z.string() }).strict().parse(req.params);
    return { key, value: setGlobal(ctx, key, valueBody.parse(req.body).value) };
  });

  app.post('/dispvms', async (req, reply) => {
    const b = dispvmBody.parse(req.body ?? {});
    const name = await createDisposable(ctx, { template: b.template, name: b.name, label: b.label });
    return reply.status(201).send({ name });
  });
  app.delete('/dispvms/:name', async (req) => {
    const q = qubeOf(req.params);
    await destroyDisposable(ctx, q.name);
    return { removed: q.name };
  });
}

export function initRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  app.post('/init', async (req) => {
    const { initSystem } = await import('../daemon/lifecycle/init.js');
    return initSystem(ctx, initBody.parse(req.body ?? {}));
  });
}
