// Public surface of features/network: the network feature (links, netvm tables, firewall service).
import type { FeatureFactory } from '../../daemon/feature.js';
import { networkFeature } from './feature.js';
import { firewallRoutes } from './routes.js';

export { networkFeature, type NetworkFeature } from './feature.js';
export { firewallRoutes } from './routes.js';
export { qubeNetns, vifName, QUBE_IF } from './names.js';
export { planEdit, editFirewall, type FirewallEdit } from './firewall-service.js';

/** The network feature: one link per qube, netvm tables, the firewall service and its routes. */
export const network: FeatureFactory = () => {
  const net = networkFeature();
  return { name: 'network', hooks: [net.hooks], routes: [firewallRoutes(net)] };
};
