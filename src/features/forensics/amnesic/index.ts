// Amnesic disposables: the swap rule and the audit level (pure), and the host's swap facts.
export { parseProcSwaps, swapVerdict, type SwapDeviceFacts, type SwapEntry, type SwapVerdict } from './swap.js';
export { deviceFacts, hostSwapVerdict, type SwapSources } from './swap-facts.js';
export { redactAuditDetail, rowLevel, type AuditLevel, type LevelOf } from './audit-level.js';
