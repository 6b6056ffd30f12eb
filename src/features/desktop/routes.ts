// Admin routes of the desktop: start a qube's display, list the displays, list a qube's applications.
import type { FastifyInstance } from 'fastify';
import type { DaemonContext } from '../../daemon/context.js';
import { nameParam } from '../../daemon/feature.js';
import { qubeApps } from './apps.js';
import { displayHub } from './hub.js';

export function desktopRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  app.post('/qubes/:name/display', async (req) => {
    const { name } = nameParam.parse(req.params);
    await displayHub(ctx).ensure(name);
    return { display: ':0' };
  });
  app.get('/displays', async () => ({ displays: displayHub(ctx).list() }));
  app.get('/qubes/:name/apps', async (req) => qubeApps(ctx, nameParam.parse(req.params).name));
}
