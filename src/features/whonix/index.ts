// Public surface of features/whonix: the gateway feature (tor in gateway qubes, workstation links, check).
import type { FeatureFactory } from '../../daemon/feature.js';
import { gatewayProfileVeto, whonixFeature } from './feature.js';
import { whonixRoutes } from './routes.js';
import { gatewayRoutes } from './routes-gateways.js';

/** The gateway feature; its veto refuses a gateway of a network profile this build never starts, before anything is made. */
export const whonix: FeatureFactory = () => ({
  name: 'whonix',
  vetoes: [gatewayProfileVeto()],
  hooks: [whonixFeature().hooks],
  routes: [whonixRoutes, gatewayRoutes],
});
