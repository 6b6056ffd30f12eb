// Public surface of the RPC broker (effectful: sockets, agents, asks, clipboard).
export { Broker, type BrokerOptions } from './broker.js';
export { registerRpc } from './feature.js';
export { policyDir, policyDirs, policyDirProblem, PolicySource, seedPolicyDir, SHIPPED_POLICY_DIR, type PolicyStatus } from './policy-source.js';
export { policySnapshot } from './snapshot.js';
export { AskRegistry, type PendingAsk, type AskAnswer } from './asks.js';
export { FrameScanner } from './scanner.js';
export { REFUSED } from './call.js';
export { IN_QUBE, ON_PATH } from './share.js';
