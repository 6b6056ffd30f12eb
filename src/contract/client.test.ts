// The typed client: paths and queries built from the contract, bodies sent, errors mapped to one ApiError with code and field; the fetch transport.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, createClient, fetchTransport, routes, type TransportRequest } from './index.js';

function recording(answer: { status: number; body: unknown }) {
  const sent: TransportRequest[] = [];
  const client = createClient(routes, async (req) => {
    sent.push(req);
    return answer;
  });
  return { sent, client };
}

test('call fills path parameters (percent-encoded), the query and the body', async () => {
  const { sent, client } = recording({ status: 200, body: { removed: 'a b' } });
  const r = await client.call('qubes.remove', { params: { name: 'a b/../c' }, query: { force: 'true' } });
  assert.equal(r.removed, 'a b');
  await client.call('prefs.set', { params: { name: 'work', key: 'memory' }, body: { value: '500' } });
  await client.call('qubes.list');
  await client.call('lab.up', { query: { tor: undefined } });
  assert.deepEqual(sent, [
    { method: 'DELETE', path: '/qubes/a%20b%2F..%2Fc?force=true', body: undefined },
    { method: 'PUT', path: '/qubes/work/prefs/memory', body: { value: '500' } },
    { method: 'GET', path: '/qubes', body: undefined },
    { method: 'POST', path: '/lab/up', body: undefined },
  ]);
});

test("an error answer becomes one ApiError with the daemon's code, message and field", async () => {
  const { client } = recording({ status: 400, body: { error: 'ERR_BAD_REQUEST', message: 'label: Required', field: 'label' } });
  await assert.rejects(
    client.call('qubes.create', { body: { name: 'x', class: 'app', label: '' } }),
    (e: unknown) => e instanceof ApiError && e.status === 400 && e.code === 'ERR_BAD_REQUEST' && e.field === 'label' && e.message === 'label: Required',
  );
  const text = recording({ status: 502, body: 'bad gateway' });
  await assert.rejects(text.client.call('qubes.list'), (e: unknown) => e instanceof ApiError && e.code === 'ERR_INTERNAL' && e.message === 'bad gateway');
});

test('streams and upgrades are refused by call (they have their own transport functions)', async () => {
  const { client, sent } = recording({ status: 200, body: {} });
  await assert.rejects(client.call('events'), /ndjson route/);
  await assert.rejects(client.call('qubes.exec', { params: { name: 'w' }, body: { argv: ['true'] } }), /upgrade route/);
  await assert.rejects(client.call('nope' as 'qubes.list'), /no route named 'nope'/);
  assert.equal(sent.length, 0);
});

test('a missing path parameter is refused before anything is sent', async () => {
  const { client, sent } = recording({ status: 200, body: {} });
  await assert.rejects(client.call('qubes.get', { params: {} as { name: string } }), /parameter 'name' is missing/);
  assert.equal(sent.length, 0);
});

test('the fetch transport: same origin, JSON body with its type, per-request headers (CSRF), JSON or text answers', async () => {
  const calls: { url: string; init: RequestInit }[] = [];
  let n = 0;
  const fakeFetch = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return new Response(n++ === 0 ? JSON.stringify({ tags: ['a'] }) : 'plain', { status: n === 1 ? 200 : 500 });
  }) as unknown as typeof fetch;
  const client = createClient(routes, fetchTransport({ fetch: fakeFetch, headers: () => ({ 'x-bulkhead-csrf': 'secret' }) }));
  assert.deepEqual(await client.call('tags.add', { params: { name: 'w', tag: 't' } }), { tags: ['a'] });
  await assert.rejects(
    client.call('features.set', { params: { name: 'w', key: 'k' }, body: { value: 'v' } }),
    (e: unknown) => e instanceof ApiError && e.message === 'plain',
  );
  assert.equal(calls[0]!.url, '/qubes/w/tags/t');
  assert.deepEqual(calls[0]!.init.headers, { 'x-bulkhead-csrf': 'secret' });
  assert.equal(calls[0]!.init.credentials, 'same-origin');
  assert.deepEqual(calls[1]!.init.headers, { 'x-bulkhead-csrf': 'secret', 'content-type': 'application/json' });
  assert.equal(calls[1]!.init.body, '{"value":"v"}');
});
