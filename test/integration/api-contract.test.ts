// The API contract against a real daemon: it serves exactly the contract's routes, its replies parse with the contract's schemas, the OpenAPI document names them all, errors name their field.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { coreDaemon, type CoreDaemon } from './core-fixture.js';
import { apiClient } from '../../src/cli/client.js';
import { ApiError, routes, type RouteName } from '../../src/contract/index.js';
import { openapiPath } from '../../src/api/openapi.js';

describe('API contract', { timeout: 180_000 }, () => {
  let d: CoreDaemon;
  let c: ReturnType<typeof apiClient>;
  /** A call whose reply is parsed here with the route's reply schema too (the daemon checks it under test as well). */
  const call = async (name: RouteName, input?: object) => {
    const reply: unknown = await (c.call as (n: string, i?: object) => Promise<unknown>)(name, input);
    const parsed = routes[name].reply.safeParse(JSON.parse(JSON.stringify(reply)));
    assert.ok(parsed.success, `${name}: ${parsed.success ? '' : parsed.error.message}`);
    return reply as Record<string, unknown>;
  };

  before(async () => {
    // A daemon under test holds itself to the contract: a route served but not in it, or in it but not served, stops its start.
    d = await coreDaemon('contract');
    c = apiClient(join(d.home, 'admin', 'admin.sock'));
  });
  after(async () => {
    await d?.destroy();
  });

  test('GET /openapi.json is an OpenAPI 3 document naming every route of the contract', async () => {
    const r = await d.api<{ openapi: string; info: { version: string }; paths: Record<string, Record<string, { operationId: string }>> }>(
      'GET',
      '/openapi.json',
    );
    assert.equal(r.status, 200);
    assert.match(r.body.openapi, /^3\./);
    assert.equal(r.body.info.version, ((await call('version')) as { version: string }).version);
    for (const [name, route] of Object.entries(routes)) assert.equal(r.body.paths[openapiPath(route.path)]?.[route.method.toLowerCase()]?.operationId, name);
  });

  test('a qube through the typed client: create, properties, tags, features, start, exec, volumes, firewall, stop, remove', async () => {
    const q = await call('qubes.create', { body: { name: 'typed', class: 'app', label: 'green', template: 'debian-12' } });
    assert.equal(q.name, 'typed');
    assert.equal((await call('prefs.get', { params: { name: 'typed', key: 'label' } })).value, 'green');
    await call('prefs.set', { params: { name: 'typed', key: 'memory' }, body: { value: '300' } });
    assert.deepEqual((await call('tags.add', { params: { name: 'typed', tag: 'work' } })).tags, ['work']);
    assert.deepEqual((await call('features.set', { params: { name: 'typed', key: 'k' }, body: { value: 'v' } })).features, { k: 'v' });
    await call('prefs.list', { params: { name: 'typed' } });
    const started = await call('qubes.start', { params: { name: 'typed' } });
    assert.equal(started.alreadyRunning, false);
    // The CLI's exec upgrade takes its path and token from the contract.
    assert.equal(d.ok(['run', 'typed', '--', 'sh', '-c', 'echo hello']), 'hello\n');
    await call('volumes.list', { params: { name: 'typed' } });
    await call('firewall.add', { params: { name: 'typed' }, body: { rule: 'action=drop dsthost=192.0.2.20', before: 0 } });
    assert.equal(((await call('firewall.list', { params: { name: 'typed' } })).rules as string[])[0], 'action=drop dsthost=192.0.2.20');
    await call('qubes.pause', { params: { name: 'typed' } });
    await call('qubes.unpause', { params: { name: 'typed' } });
    assert.equal((await call('qubes.shutdown', { params: { name: 'typed' }, body: {} })).state, 'halted');
    await call('volumes.privateRevisions', { params: { name: 'typed' } });
    for (const name of [
      'qubes.list',
      'globals.list',
      'templates.list',
      'audit.verify',
      'rpc.pending',
      'rpc.policy',
      'clipboard.status',
      'gateways.list',
      'gateways.tor',
    ] as const)
      await call(name);
    await call('audit.list', { query: { qube: 'typed', limit: 5 } });
    assert.equal((await call('qubes.remove', { params: { name: 'typed' }, query: { force: 'true' } })).removed, 'typed');
  });

  test('a refused request is one ApiError with its stable code and the field at fault', async () => {
    await assert.rejects(
      c.call('qubes.create', { body: { name: 'x', class: 'app' } as never }),
      (e: unknown) => e instanceof ApiError && e.status === 400 && e.code === 'ERR_BAD_REQUEST' && e.field === 'label',
    );
    await assert.rejects(
      c.call('qubes.create', { body: { name: '1abc', class: 'app', label: 'red', template: 'debian-12' } }),
      (e: unknown) => e instanceof ApiError && e.status === 400 && e.code === 'ERR_INVALID_NAME' && e.field === 'name',
    );
    await assert.rejects(
      c.call('prefs.set', { params: { name: 'nosuch-either' }, body: { value: '1' } } as never),
      (e: unknown) => e instanceof TypeError && /parameter 'key' is missing/.test(e.message),
    );
    await assert.rejects(
      c.call('firewall.add', { params: { name: 'nosuch' }, body: { rule: 'action=drop' } }),
      (e: unknown) => e instanceof ApiError && e.status === 404 && e.code === 'ERR_NO_SUCH_QUBE',
    );
    await assert.rejects(
      c.call('rpc.answer', { params: { id: 'NOT-HEX' }, body: { answer: 'allow' } }),
      (e: unknown) => e instanceof ApiError && e.code === 'ERR_BAD_REQUEST' && e.field === 'id',
    );
  });
});
