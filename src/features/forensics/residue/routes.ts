// Admin API of the residue proof: POST /forensics/residue runs it and answers with the report.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { BulkheadError } from '../../../errors/index.js';
import type { DaemonContext } from '../../../daemon/context.js';
import type { Broker } from '../../rpc/broker/index.js';
import { runResidue } from './procedure.js';
import { PLACES } from './types.js';

const MIB = 1024 * 1024;

export const residueBody = z
  .object({
    template: z.string().min(1).max(64).optional(),
    places: z.array(z.enum(PLACES)).min(1).max(PLACES.length).optional(),
    device: z
      .string()
      .regex(/^\/[^\0]*$/, 'an absolute path')
      .max(4096)
      .optional(),
    // A canary file per place: at least a few blocks, at most what a small disposable holds.
    bytes: z
      .number()
      .int()
      .min(4096)
      .max(64 * MIB)
      .optional(),
  })
  .strict();

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
