// Holding the server to the contract: a route not in it stops the server, a reply that breaks it is a 500 naming the field; errors name their field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { z } from 'zod';
import { routes } from '../contract/index.js';
import { checkingReplies, compareRoutes, holdToContract } from './contract-check.js';
import { errorBody, errorHandler } from './errors.js';

test('compareRoutes: served routes not in the contract, contract routes not served (upgrades and HEAD twins aside)', () => {
  const all = Object.values(routes)
    .filter((r) => r.kind !== 'upgrade')
    .map((r) => ({ method: r.method, url: r.path }));
  assert.deepEqual(compareRoutes([...all, { method: 'HEAD', url: '/qubes' }]), { extra: [], missing: [] });
  const r = compareRoutes([...all.filter((x) => x.url !== '/globals'), { method: 'POST', url: '/qubes/:name/secret' }]);
  assert.deepEqual(r, { extra: ['POST /qubes/:name/secret'], missing: ['GET /globals'] });
});

test('a server with a route the contract does not name refuses to start', async () => {
  const app = Fastify();
  const c = holdToContract(app, { replies: false });
  app.get('/qubes', async () => ({ qubes: [] }));
  app.post('/qubes/:name/secret', async () => ({}));
  assert.throws(() => c.verify(), /routes served but not in the API contract \(src\/contract\): POST \/qubes\/:name\/secret/);
  await app.close();
});

test('when checking, a contract route not served is refused too', async () => {
  const app = Fastify();
  const c = holdToContract(app, { replies: true });
  app.get('/qubes', async () => ({ qubes: [] }));
  assert.throws(() => c.verify(), /in the API contract but not served: .*GET \/globals/);
  await app.close();
});

test('when checking, a reply that breaks the contract is a 500 naming the route and the field; a good one passes', async () => {
  const app = Fastify();
  app.setErrorHandler(errorHandler);
  holdToContract(app, { replies: true });
  app.get('/qubes/:name/tags', async (req) => ((req.params as { name: string }).name === 'bad' ? { tags: 'x' } : { tags: ['a'] }));
  app.get('/audit/verify', async () => ({ ok: true, rows: 1 }));
  const good = await app.inject({ method: 'GET', url: '/qubes/good/tags' });
  assert.equal(good.statusCode, 200);
  assert.deepEqual(good.json(), { tags: ['a'] });
  const bad = await app.inject({ method: 'GET', url: '/qubes/bad/tags' });
  assert.equal(bad.statusCode, 500);
  assert.match(bad.json().message, /reply of tags\.list breaks the contract at tags: Expected array/);
  assert.equal((await app.inject({ method: 'GET', url: '/audit/verify' })).statusCode, 200);
  await app.close();
});

test('an input error names its field in the error body', () => {
  const e = z.object({ name: z.string(), label: z.string() }).strict().safeParse({ name: 'x' });
  assert.ok(!e.success);
  assert.deepEqual(errorBody(e.error), { status: 400, body: { error: 'ERR_BAD_REQUEST', message: 'label: Required', field: 'label' } });
});

test('replies are checked under test or when asked, never when turned off (benchmarks)', () => {
  assert.equal(checkingReplies({}), false);
  assert.equal(checkingReplies({ BULKHEAD_TEST_RUN: 'bh1' }), true);
  assert.equal(checkingReplies({ BULKHEAD_CHECK_CONTRACT: '1' }), true);
  assert.equal(checkingReplies({ BULKHEAD_TEST_RUN: 'bh1', BULKHEAD_CHECK_CONTRACT: '0' }), false);
});

test('a refused value names its field: BulkheadErrors that carry one pass it to the error body', async () => {
  const { validateName } = await import('../model/names.js');
  let err: unknown;
  try {
    validateName('1abc');
  } catch (e) {
    err = e;
  }
  const b = errorBody(err);
  assert.equal(b.status, 400);
  assert.equal(b.body.error, 'ERR_INVALID_NAME');
  assert.equal(b.body.field, 'name');
  const { BulkheadError } = await import('../errors/index.js');
  assert.equal('field' in errorBody(new BulkheadError('ERR_QUBE_RUNNING', 'x')).body, false);
});
