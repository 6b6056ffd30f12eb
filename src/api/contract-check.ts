// Holds the server to the contract: every served route is in it, and (when checking, as in tests) every reply matches its schema.
import type { FastifyInstance } from 'fastify';
import { BulkheadError } from '../errors/index.js';
import { routes, type RouteDef } from '../contract/index.js';

const key = (method: string, url: string) => `${method.toUpperCase()} ${url}`;
const byKey = new Map<string, [string, RouteDef]>(Object.entries(routes).map(([n, r]) => [key(r.method, r.path), [n, r]]));

/** The contract's route for a served method and URL pattern (fastify's `/qubes/:name`), if any. */
export const contractRoute = (method: string, url: string) => byKey.get(key(method, url));

/** Served routes (HEAD twins of GETs aside) that the contract does not name, and contract routes of kind json/ndjson not served. */
export function compareRoutes(served: { method: string; url: string }[]): { extra: string[]; missing: string[] } {
  const got = new Set(served.filter((r) => r.method.toUpperCase() !== 'HEAD').map((r) => key(r.method, r.url)));
  const extra = [...got].filter((k) => !byKey.has(k)).sort();
  const missing = [...byKey]
    .filter(([k, [, r]]) => r.kind !== 'upgrade' && !got.has(k))
    .map(([k]) => k)
    .sort();
  return { extra, missing };
}

/** Whether replies are checked: in tests (BULKHEAD_TEST_RUN) or when asked (BULKHEAD_CHECK_CONTRACT=1); never with BULKHEAD_CHECK_CONTRACT=0 (benchmarks). */
export function checkingReplies(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.BULKHEAD_CHECK_CONTRACT === '0') return false;
  return env.BULKHEAD_CHECK_CONTRACT === '1' || !!env.BULKHEAD_TEST_RUN;
}

/**
 * Records each route as it is added; `verify()` after the last one refuses a route the contract
 * does not name (and, with `replies`, a contract route not served). With `replies`, a success reply that does not match the route's schema (on the
 * wire: dates as strings) becomes a 500 naming the route and the field, so a test sees it.
 */
export function holdToContract(app: FastifyInstance, opts: { replies: boolean }): { verify(): void } {
  const served: { method: string; url: string }[] = [];
  app.addHook('onRoute', (r) => {
    for (const m of [r.method].flat()) served.push({ method: m, url: r.url });
  });
  if (opts.replies) {
    app.addHook('preSerialization', async (req, reply, payload) => {
      if (reply.statusCode >= 400) return payload;
      const found = contractRoute(req.method, req.routeOptions.url ?? '');
      if (!found) return payload;
      const [name, r] = found;
      const res = r.reply.safeParse(JSON.parse(JSON.stringify(payload)));
      if (!res.success) {
        const i = res.error.issues[0]!;
        throw new BulkheadError('ERR_INTERNAL', `reply of ${name} breaks the contract at ${i.path.join('.') || '(top)'}: ${i.message}`);
      }
      return payload;
    });
  }
  return {
    verify() {
      const { extra, missing } = compareRoutes(served);
      if (extra.length) throw new BulkheadError('ERR_INTERNAL', `routes served but not in the API contract (src/contract): ${extra.join(', ')}`);
      // The daemon loads every feature, so when checking, a contract route it does not serve is an error too.
      if (opts.replies && missing.length) throw new BulkheadError('ERR_INTERNAL', `routes in the API contract but not served: ${missing.join(', ')}`);
    },
  };
}
