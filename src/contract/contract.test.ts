// The contract's own checks: path parameters agree with their schemas, every route's samples parse, and bad input is refused naming the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { pathParams, routes, type RouteDef } from './index.js';
import { SAMPLES } from './samples.test-util.js';

const entries = Object.entries(routes) as [string, RouteDef][];

/** The object schema under optional/nullable/effects wrappers, if there is one. */
function objectOf(s: z.ZodTypeAny | undefined): z.AnyZodObject | null {
  let t = s;
  for (;;) {
    if (t instanceof z.ZodObject) return t;
    if (t instanceof z.ZodOptional || t instanceof z.ZodNullable) t = t.unwrap() as z.ZodTypeAny;
    else if (t instanceof z.ZodEffects) t = t.innerType() as z.ZodTypeAny;
    else return null;
  }
}
const acceptsAnything = (s: z.ZodTypeAny) => s.safeParse({ bad: true }).success && s.safeParse(42).success;
const isPlainObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A wrong value for a field: a number where an object is expected, an object anywhere else. */
const wrong = (v: unknown) => (isPlainObject(v) ? 42 : { bad: true });

test('every route has a unique method and path, and its path parameters are exactly its params schema', () => {
  const seen = new Set<string>();
  for (const [name, r] of entries) {
    const k = `${r.method} ${r.path}`;
    assert.ok(!seen.has(k), `${name}: ${k} twice`);
    seen.add(k);
    assert.deepEqual(Object.keys(r.params?.shape ?? {}).sort(), pathParams(r.path).sort(), `${name}: params`);
    assert.ok(r.summary.length > 0, `${name}: summary`);
  }
});

test('every route has a sample and its input and reply samples parse', () => {
  assert.deepEqual(Object.keys(SAMPLES).sort(), Object.keys(routes).sort());
  for (const [name, r] of entries) {
    const s = SAMPLES[name as keyof typeof SAMPLES] as Record<string, unknown>;
    for (const part of ['params', 'query', 'body'] as const) {
      const schema = r[part];
      assert.equal(schema !== undefined, s[part] !== undefined, `${name}: ${part} sample iff schema`);
      if (schema) {
        const res = schema.safeParse(s[part]);
        assert.ok(res.success, `${name} ${part}: ${res.success ? '' : res.error.message}`);
      }
    }
    if (r.kind === 'upgrade') assert.ok(!r.reply.safeParse({}).success, `${name}: an upgrade has no JSON reply`);
    else {
      const res = r.reply.safeParse(s.reply);
      assert.ok(res.success, `${name} reply: ${res.success ? '' : res.error.message}`);
    }
  }
});

test('a wrong value in any field of a sample is refused, the error naming that field', () => {
  let checked = 0;
  for (const [name, r] of entries) {
    const s = SAMPLES[name as keyof typeof SAMPLES] as Record<string, unknown>;
    for (const part of ['params', 'query', 'body', 'reply'] as const) {
      const obj = objectOf(r[part]);
      const sample = s[part] as Record<string, unknown> | undefined;
      if (!obj || !isPlainObject(sample)) continue;
      for (const [key, value] of Object.entries(sample!)) {
        const field = obj.shape[key] as z.ZodTypeAny | undefined;
        assert.ok(field, `${name} ${part}: sample has '${key}', which the schema does not name`);
        if (acceptsAnything(field)) continue;
        const res = r[part]!.safeParse({ ...sample, [key]: wrong(value) });
        assert.ok(!res.success, `${name} ${part}.${key}: a wrong value passed`);
        assert.equal(res.error.issues[0]?.path[0], key, `${name} ${part}.${key}: the error names ${String(res.error.issues[0]?.path)}`);
        checked++;
      }
    }
  }
  assert.ok(checked > 200, `only ${checked} fields checked`);
});

test('requests refuse unknown fields, and the error names them', () => {
  for (const [name, r] of entries) {
    const s = SAMPLES[name as keyof typeof SAMPLES] as Record<string, unknown>;
    for (const part of ['params', 'query', 'body'] as const) {
      const schema = r[part];
      const sample = s[part];
      if (!schema || !isPlainObject(sample) || objectOf(schema)?._def.unknownKeys !== 'strict') continue;
      const res = schema.safeParse({ ...(sample as object), untrusted_extra: 1 });
      assert.ok(!res.success, `${name} ${part}: an unknown field passed`);
      assert.match(res.error.issues[0]!.message, /untrusted_extra/, `${name} ${part}`);
    }
  }
});

test('a missing required field is refused naming it', () => {
  const b = routes['qubes.create'].body.safeParse({ name: 'x', class: 'app' });
  assert.ok(!b.success);
  assert.deepEqual(b.error.issues[0]?.path, ['label']);
  const q = routes['audit.list'].query.safeParse({ limit: '0' });
  assert.ok(!q.success);
  assert.deepEqual(q.error.issues[0]?.path, ['limit']);
  const p = routes['rpc.answer'].params.safeParse({ id: '../x' });
  assert.ok(!p.success);
  assert.deepEqual(p.error.issues[0]?.path, ['id']);
});

test('json routes answer JSON objects; ndjson routes describe a line; upgrade routes have none', () => {
  for (const [name, r] of entries) {
    if (r.kind === 'ndjson') assert.ok(!r.reply.safeParse('text').success, name);
    if (r.kind === 'json') assert.ok(!r.reply.safeParse('text').success, name);
  }
});

test('event lines: each admin event with its typed data; a wrong field or an unknown event is refused', () => {
  const line = routes.events.reply;
  const time = '2026-12-07T20:00:00.000Z';
  assert.ok(line.safeParse({ event: 'qube-started', time, data: { qube: 'work', pid: 12 } }).success);
  assert.ok(line.safeParse({ event: 'gateway-tor-up', time, data: { qube: 'sys-whonix', restarts: 0, network: 'lab' } }).success);
  const bad = line.safeParse({ event: 'qube-started', time, data: { qube: 'work', pid: 'x' } });
  assert.ok(!bad.success);
  assert.deepEqual(bad.error.issues[0]?.path, ['data', 'pid']);
  const unknown = line.safeParse({ event: 'qube-exploded', time, data: {} });
  assert.ok(!unknown.success);
  assert.deepEqual(unknown.error.issues[0]?.path, ['event']);
});
