// The dashboard listener: a second fastify on 127.0.0.1 that serves the bundled page and, behind a session and CSRF checks, the admin routes.
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DaemonContext } from '../../daemon/context.js';
import { DASHBOARD_LISTENER, type RouteModule } from '../../daemon/feature.js';
import { errorHandler } from '../errors.js';
import { dashboardDisplayRoute, MAX_INPUT_FRAME } from './display-ws.js';
import { checkOrigin, isChange, SECURITY_HEADERS } from './guard.js';
import { SESSION_TTL_MS, type DashboardSessions, type Session } from './sessions.js';

/** The built page (dashboard/dist): three levels up from dist/api/dashboard/ and from src/api/dashboard/. */
export const PAGE_DIR = fileURLToPath(new URL('../../../dashboard/dist/', import.meta.url));
export const COOKIE = 'bh_dashboard';
export const CSRF_HEADER = 'x-bulkhead-csrf';

declare module 'fastify' {
  interface FastifyRequest {
    dashboardSession?: Session;
  }
}

const deny = (reply: FastifyReply, status: number, error: string, message: string) =>
  reply.code(status).header('cache-control', 'no-store').send({ error, message });

export async function buildDashboard(ctx: DaemonContext, modules: RouteModule[], sessions: DashboardSessions, port: number): Promise<FastifyInstance> {
  // Open pages hold the event stream: closing (daemon stop, port change) ends those connections too, never waits on them.
  const app = Fastify({
    loggerInstance: ctx.log.child({ part: 'dashboard' }) as unknown as FastifyBaseLogger,
    bodyLimit: 1 << 20,
    forceCloseConnections: true,
  }) as unknown as FastifyInstance;
  app.setErrorHandler(errorHandler);
  await app.register(fastifyCookie);
  // WebSockets go through the same hooks as any request (fastify routes the upgrade), so the checks below hold for them too.
  await app.register(fastifyWebsocket, { options: { maxPayload: MAX_INPUT_FRAME } });
  // Admin-socket upgrade handlers (the raw display stream) must not answer here: the dashboard's own routes are behind a session.
  app.decorate(DASHBOARD_LISTENER, true);

  // Every answer, static or API, hijacked streams included (raw headers): the same strict headers.
  // Host is checked first, on everything: a page on a rebound name never reads an answer.
  app.addHook('onRequest', async (req, reply) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.raw.setHeader(k, v);
    const refusal = checkOrigin(
      { method: req.method, host: req.headers.host, origin: req.headers.origin, fetchSite: str(req.headers['sec-fetch-site']) },
      port,
    );
    if (refusal) {
      req.log.warn({ url: req.url, refusal: refusal.message }, 'dashboard request refused');
      return deny(reply, refusal.status, 'ERR_PERMISSION', refusal.message);
    }
  });

  // The login link: the one-time secret becomes the session cookie, and the secret leaves the address bar.
  app.get('/login', async (req, reply) => {
    const secret = typeof (req.query as Record<string, unknown>).s === 'string' ? String((req.query as Record<string, unknown>).s) : '';
    const s = sessions.redeem(secret);
    if (!s) {
      ctx.store.audit('admin', 'dashboard-login-refused', null, {});
      return reply
        .code(401)
        .type('text/plain; charset=utf-8')
        .header('cache-control', 'no-store')
        .send('This dashboard link was used already or has expired. Run `bulkhead dashboard url` for a new one.\n');
    }
    ctx.store.audit('admin', 'dashboard-login', null, {});
    reply.setCookie(COOKIE, s.id, { path: '/', httpOnly: true, sameSite: 'strict', maxAge: Math.floor(SESSION_TTL_MS / 1000) });
    return reply.header('cache-control', 'no-store').redirect('/', 303);
  });

  // The API: the admin routes themselves, behind the session and, for changes, the CSRF token.
  await app.register(
    async (api) => {
      api.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
        reply.raw.setHeader('cache-control', 'no-store');
        const s = sessions.session(req.cookies[COOKIE]);
        if (!s) return deny(reply, 401, 'ERR_UNAUTHENTICATED', 'no dashboard session: open the link `bulkhead dashboard url` prints');
        if (isChange(req.method) && !sessions.csrfOk(s, str(req.headers[CSRF_HEADER])))
          return deny(reply, 403, 'ERR_PERMISSION', 'missing or wrong CSRF token');
        req.dashboardSession = s;
      });
      api.get('/session', async (req) => ({ csrf: req.dashboardSession?.csrf, expiresAt: new Date(req.dashboardSession?.expiresAt ?? 0).toISOString() }));
      api.post('/logout', async (req, reply) => {
        if (req.dashboardSession) sessions.end(req.dashboardSession.id);
        return reply.clearCookie(COOKIE, { path: '/' }).send({ ended: true });
      });
      for (const m of modules) m(api, ctx);
      dashboardDisplayRoute(api, ctx);
    },
    { prefix: '/api' },
  );

  if (existsSync(PAGE_DIR)) {
    await app.register(fastifyStatic, { root: PAGE_DIR, index: 'index.html', cacheControl: false, dotfiles: 'deny' });
  } else {
    app.get('/', async (_req, reply) => reply.type('text/plain; charset=utf-8').send('The dashboard page is not built: run `npm run build:dashboard`.\n'));
  }
  return app;
}

const str = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
