// Public surface of netvm/: the network feature (links, netvm tables, firewall service).
export { networkFeature, type NetworkFeature } from './feature.js';
export { firewallRoutes } from './routes.js';
export { qubeNetns, vifName, QUBE_IF } from './names.js';
export { planEdit, editFirewall, type FirewallEdit } from './firewall-service.js';
