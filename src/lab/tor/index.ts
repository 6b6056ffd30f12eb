// Public surface of lab/tor: the lab's private Tor network, lab clients, and the tor control-port client.
export { startTorNetwork, ONION_PAGE, type TorNetwork, type TorNetworkOptions, type TorNodeInfo, type TorTimings } from './network.js';
export { startLabClient, removeLabClientDir, type LabClient, type LabClientOptions } from './client.js';
export { planTorNetwork, DEFAULT_BASE_PORT, type TorAddresses, type TorPlan, type TorNodePlan, type TorRole } from './plan.js';
export { nodeTorrc, clientTorrc } from './torrc.js';
export { dirAuthorityLine, fillBridgeLine, parseFingerprint } from './lines.js';
export { startPageServer, type PageServer } from './page-server.js';
export { rssKb } from './process.js';
export { createTorSandbox, WEB_PAGE, WEB_NAME, type TorSandbox } from './sandbox.js';
export { parseCircuitStatus, parseStreamStatus, type Circuit, type CircuitHop, type Stream } from './circuits.js';
