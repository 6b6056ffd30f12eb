// Public surface of state/: the SQLite state database and its audit log.
export { openDatabase } from './db.js';
export { StateStore, MAX_QID, type AuditRedactor, type PowerState } from './store.js';
export { appendAudit, verifyAudit, readAudit, boundAuditDetail, AUDIT_BOUNDS, type AuditBounds, type AuditEntry, type AuditVerification } from './audit.js';
