// The dashboard's life in the daemon: listens while the global dashboard_port is set, mints login links for `bulkhead dashboard url`.
import type { FastifyInstance } from 'fastify';
import type { DaemonContext } from '../../daemon/context.js';
import type { RouteModule } from '../../daemon/feature.js';
import { BulkheadError } from '../../errors/index.js';
import { parseDashboardPort } from '../../model/index.js';
import { buildDashboard } from './server.js';
import type { DashboardLink } from '../../contract/system.js';
import { DashboardSessions } from './sessions.js';

export class DashboardService {
  readonly sessions = new DashboardSessions();
  private app: FastifyInstance | null = null;
  private port = 0;
  private error: string | null = null;
  /** Port changes apply one after another. */
  private chain: Promise<void> = Promise.resolve();
  private off: (() => void) | null = null;

  constructor(
    private readonly ctx: DaemonContext,
    private readonly modules: RouteModule[],
  ) {}

  async start(): Promise<void> {
    this.off = this.ctx.events.on('global-set', (e) => {
      if (e.data.key === 'dashboard_port') void this.apply();
    });
    await this.apply();
  }

  /** Opens, moves or closes the listener to match the global. */
  apply(): Promise<void> {
    this.chain = this.chain.then(async () => {
      const v = this.ctx.store.globals().dashboard_port;
      let want = 0;
      try {
        want = v === null || v === undefined ? 0 : parseDashboardPort(v as string);
      } catch {
        want = 0;
      }
      if (want === this.port && (this.app || want === 0)) return;
      await this.app?.close().catch(() => undefined);
      this.app = null;
      this.port = 0;
      this.error = null;
      if (want === 0) return;
      try {
        const app = await buildDashboard(this.ctx, this.modules, this.sessions, want);
        await app.listen({ host: '127.0.0.1', port: want });
        this.app = app;
        this.port = want;
        this.ctx.log.info({ port: want }, 'dashboard listening on 127.0.0.1');
      } catch (e) {
        this.error = `the dashboard cannot listen on 127.0.0.1:${want}: ${e instanceof Error ? e.message : String(e)}`;
        this.ctx.log.error({ err: e }, 'dashboard not started');
      }
    });
    return this.chain;
  }

  /** A login link with a fresh one-time secret. */
  async link(): Promise<DashboardLink> {
    await this.chain;
    if (!this.app) throw new BulkheadError('ERR_INVALID_VALUE', this.error ?? 'the dashboard is off: set a port with `bulkhead global dashboard_port PORT`');
    const secret = this.sessions.mintSecret();
    this.ctx.store.audit('admin', 'dashboard-link', null, {});
    return { url: `http://127.0.0.1:${this.port}/login?s=${secret}`, port: this.port, expiresInSeconds: 300 };
  }

  async close(): Promise<void> {
    this.off?.();
    await this.chain;
    await this.app?.close().catch(() => undefined);
    this.app = null;
  }
}

/** Admin-socket route (never on the dashboard listener itself): a new login link. */
export function dashboardAdminRoutes(svc: DashboardService): RouteModule {
  return (app) => {
    app.post('/dashboard/link', async () => svc.link());
  };
}
