// The forensics feature of the residue proof and acquisition: the amnesic veto and audit rule, and the routes of `forensics residue|acquire`.
import type { FeatureFactory } from '../../daemon/feature.js';
import { brokerOf } from '../rpc/index.js';
import { forensicsAcquireRoutes } from './acquire/index.js';
import { amnesicVeto } from './amnesic/feature.js';
import { forensicsResidueRoutes } from './residue/index.js';

/** Listed after the RPC feature, whose broker the residue proof uses. */
export const forensicsResidue: FeatureFactory = (ctx) => ({
  name: 'forensics-residue',
  vetoes: [amnesicVeto(ctx)],
  hooks: [],
  routes: [forensicsResidueRoutes(brokerOf), forensicsAcquireRoutes],
});
