// The OpenAPI 3 document of the admin API, generated from the contract (never written by hand); served at GET /openapi.json.
import { extendZodWithOpenApi, OpenAPIRegistry, OpenApiGeneratorV3, type ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { apiErrorBody, routes, type RouteDef } from '../contract/index.js';

// The generator names parameters through the `.openapi()` method this adds to zod's schemas.
extendZodWithOpenApi(z);

const MEDIA = { json: 'application/json', ndjson: 'application/x-ndjson' } as const;

/** `/qubes/:name` → `/qubes/{name}`. */
export const openapiPath = (path: string) => path.replace(/:([A-Za-z_]+)/g, '{$1}');

function register(registry: OpenAPIRegistry, name: string, r: RouteDef): void {
  const optional = r.body instanceof z.ZodOptional;
  const body = r.body instanceof z.ZodOptional ? (r.body.unwrap() as z.ZodTypeAny) : r.body;
  const success: Record<string, ResponseConfig> =
    r.kind === 'upgrade'
      ? { 101: { description: 'Switching protocols: the connection carries RPC frames from here on' } }
      : { [r.status ?? 200]: { description: r.summary, content: { [MEDIA[r.kind]]: { schema: r.reply } } } };
  registry.registerPath({
    method: r.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete',
    path: openapiPath(r.path),
    operationId: name,
    summary: r.summary,
    tags: [name.split('.')[0]!],
    request: {
      ...(r.params ? { params: r.params } : {}),
      ...(r.query ? { query: r.query } : {}),
      // An upgrade's parameters travel in a header (base64 JSON), described by its summary.
      ...(body && r.kind !== 'upgrade' ? { body: { required: !optional, content: { 'application/json': { schema: body } } } } : {}),
    },
    responses: {
      ...success,
      default: { description: 'An error: its stable code, message, and the field at fault', content: { 'application/json': { schema: apiErrorBody } } },
    },
  });
}

let cached: ReturnType<OpenApiGeneratorV3['generateDocument']> | null = null;

export function openapiDocument(version: string): ReturnType<OpenApiGeneratorV3['generateDocument']> {
  if (cached) return cached;
  const registry = new OpenAPIRegistry();
  for (const [name, r] of Object.entries(routes)) register(registry, name, r);
  cached = new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: '3.0.3',
    info: { title: 'bulkhead admin API', version, description: 'The admin API of bulkheadd (HTTP over its root-only Unix socket).' },
  });
  return cached;
}
