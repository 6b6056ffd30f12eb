// Admin API of acquisition: POST /qubes/:name/forensics/acquire writes the artefacts into a new directory and answers with the manifest.
import type { FastifyInstance } from 'fastify';
import { acquireBody } from '../../../contract/forensics.js';
import type { DaemonContext } from '../../../daemon/context.js';
import { nameParam } from '../../../contract/common.js';
import { acquireQube } from './acquire.js';

export { acquireBody };

export function forensicsAcquireRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  app.post('/qubes/:name/forensics/acquire', async (req) => {
    const { name } = nameParam.parse(req.params);
    const b = acquireBody.parse(req.body);
    return acquireQube(ctx, name, b.out, { memory: b.memory });
  });
}
