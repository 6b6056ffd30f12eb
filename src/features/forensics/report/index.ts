// Public surface of forensics/report: the examiner's report of a copied state directory, and the audit chain's anchor.
export { openEvidence, type Evidence, type EvidenceFile } from './evidence.js';
export { ReportPass, auditRows, walkChain, type ReportHeader, type ReportSummary } from './report.js';
export { chainInWorker } from './parallel-chain.js';
export { ChainWalker, parseAnchor, formatAnchor, type Anchor, type ChainResult } from './chain.js';
export { toEvent, timestampDesc, type TimelineEvent, type Category } from './timeline.js';
export { readInventory, sizeOf, type QubeInventory, type VolumeSize } from './inventory.js';
export { chainText, inventoryText, eventLine, headerText, json, jsonlLine } from './render-text.js';
export { HtmlCollector, escapeHtml, HTML_MAX_ROWS } from './render-html.js';
