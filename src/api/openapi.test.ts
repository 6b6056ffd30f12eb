// The generated OpenAPI document: OpenAPI 3 in structure, every contract route in it with its method, parameters, body and replies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { routes, pathParams } from '../contract/index.js';
import { openapiDocument, openapiPath } from './openapi.js';

type Op = {
  operationId: string;
  parameters?: { name: string; in: string; required?: boolean; schema: unknown }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
};

test('the document is OpenAPI 3 in structure', () => {
  const d = JSON.parse(JSON.stringify(openapiDocument('0.1.0'))) as Record<string, unknown>;
  assert.match(String(d.openapi), /^3\.\d+\.\d+$/);
  const info = d.info as { title: string; version: string };
  assert.equal(typeof info.title, 'string');
  assert.equal(info.version, '0.1.0');
  const paths = d.paths as Record<string, Record<string, Op>>;
  for (const [path, item] of Object.entries(paths)) {
    assert.match(path, /^\/[A-Za-z0-9_./{}-]*$/, path);
    for (const [method, op] of Object.entries(item)) {
      assert.ok(['get', 'post', 'put', 'delete'].includes(method), `${path} ${method}`);
      assert.ok(Object.keys(op.responses).length >= 2, `${path} ${method}: responses`);
      for (const [code, resp] of Object.entries(op.responses)) {
        assert.match(code, /^(default|[1-5]\d\d)$/);
        assert.equal(typeof resp.description, 'string');
      }
      // Every {param} of the path is a required path parameter, and none other.
      const inPath = (op.parameters ?? []).filter((p) => p.in === 'path');
      assert.deepEqual(inPath.map((p) => p.name).sort(), [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort(), `${path} ${method}`);
      for (const p of inPath) assert.equal(p.required, true);
    }
  }
});

test('the document names every route of the contract, by operationId, method and path', () => {
  const d = openapiDocument('0.1.0') as unknown as { paths: Record<string, Record<string, Op>> };
  const ids: string[] = [];
  for (const [name, r] of Object.entries(routes)) {
    const op = d.paths[openapiPath(r.path)]?.[r.method.toLowerCase()];
    assert.ok(op, `${name}: ${r.method} ${r.path} missing`);
    assert.equal(op.operationId, name);
    ids.push(op.operationId);
    assert.deepEqual(
      (op.parameters ?? [])
        .filter((p) => p.in === 'path')
        .map((p) => p.name)
        .sort(),
      pathParams(r.path).sort(),
    );
    if (r.query)
      for (const k of Object.keys(r.query.shape))
        assert.ok(
          op.parameters?.some((p) => p.in === 'query' && p.name === k),
          `${name}: query ${k}`,
        );
    if (r.body && r.kind !== 'upgrade') assert.ok(op.requestBody?.content['application/json'], `${name}: body`);
    if (r.kind === 'upgrade') assert.ok(op.responses['101'], `${name}: 101`);
    else assert.ok(op.responses[String(r.status ?? 200)]?.content, `${name}: reply`);
    assert.ok(op.responses.default?.content?.['application/json'], `${name}: error reply`);
  }
  const count = Object.values(d.paths).reduce((n, item) => n + Object.keys(item).length, 0);
  assert.equal(count, Object.keys(routes).length, 'no operation that is not in the contract');
  assert.equal(new Set(ids).size, ids.length);
});

test('schemas carry their bounds: a strict body refuses extra fields, sizes and enums are kept', () => {
  const d = openapiDocument('0.1.0') as unknown as { paths: Record<string, Record<string, Op>> };
  const body = d.paths['/qubes/{name}/volumes/{volume}/resize']!.post!.requestBody!.content['application/json']!.schema as Record<string, unknown>;
  assert.equal(body.additionalProperties, false);
  assert.deepEqual((body.properties as Record<string, unknown>).size, { type: 'string', minLength: 1, maxLength: 40 });
  const answer = d.paths['/rpc/pending/{id}']!.post!.requestBody!.content['application/json']!.schema as { properties: { answer: { enum: string[] } } };
  assert.deepEqual(answer.properties.answer.enum, ['allow', 'deny']);
});
