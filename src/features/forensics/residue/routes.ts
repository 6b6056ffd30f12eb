// Admin API of the residue proof: POST /forensics/residue runs it and answers with the report.
import type { FastifyInstance } from 'fastify';
import { BulkheadError } from '../../../errors/index.js';
import type { DaemonContext } from '../../../daemon/context.js';
import type { Broker } from '../../rpc/broker/index.js';
import { runResidue } from './procedure.js';
import { residueBody } from '../../../contract/forensics.js';

export { residueBody };

/** `broker`: the RPC feature's (its agents and clipboard); without one the proof is refused. */
export function forensicsResidueRoutes(broker: (ctx: DaemonContext) => Broker | undefined) {
  return (app: FastifyInstance, ctx: DaemonContext): void => {
    app.post('/forensics/residue', async (req) => {
      const body = residueBody.parse(req.body ?? {});
      const b = broker(ctx);
      if (!b) throw new BulkheadError('ERR_FORENSICS', 'the residue proof needs the RPC feature (clipboard and file copy), which this daemon does not run');
      return runResidue(ctx, b, body);
    });
  };
}
