// The append-only audit log: every row holds the hash of the previous one, so an edit shows.
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEntry {
  seq: number;
  time: string;
  actor: string;
  event: string;
  qube: string | null;
  detail: string;
  prev_hash: string;
  hash: string;
}

export function hashEntry(prevHash: string, e: Omit<AuditEntry, 'hash' | 'prev_hash'>): string {
  // Fixed field order; the detail is stored as the exact JSON text that was hashed.
  const body = JSON.stringify([e.seq, e.time, e.actor, e.event, e.qube, e.detail]);
  return createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
}

/** Append one row; call inside the transaction of the change it records. */
export function appendAudit(db: Database.Database, actor: string, event: string, qube: string | null, detail: unknown): AuditEntry {
  const last = db.prepare('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
  const seq = (last?.seq ?? 0) + 1;
  const prev_hash = last?.hash ?? GENESIS_HASH;
  const row = { seq, time: new Date().toISOString(), actor, event, qube, detail: JSON.stringify(detail ?? {}) };
  const hash = hashEntry(prev_hash, row);
  db.prepare('INSERT INTO audit (seq, time, actor, event, qube, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
    seq, row.time, actor, event, qube, row.detail, prev_hash, hash,
  );
  return { ...row, prev_hash, hash };
}

export interface AuditVerification {
  ok: boolean;
  rows: number;
  /** The first row whose hash or link does not match, if any. */
  brokenAt?: number;
  reason?: string;
}

/** Walk the chain from the start; any edited, removed or reordered row breaks it. */
export function verifyAudit(db: Database.Database): AuditVerification {
  let prev = GENESIS_HASH;
  let expectSeq = 1;
  let rows = 0;
  for (const r of db.prepare('SELECT * FROM audit ORDER BY seq').iterate() as IterableIterator<AuditEntry>) {
    rows++;
    if (r.seq !== expectSeq) return { ok: false, rows, brokenAt: r.seq, reason: `row ${expectSeq} is missing` };
    if (r.prev_hash !== prev) return { ok: false, rows, brokenAt: r.seq, reason: 'link to the previous row does not match' };
    if (hashEntry(prev, r) !== r.hash) return { ok: false, rows, brokenAt: r.seq, reason: 'row content does not match its hash' };
    prev = r.hash;
    expectSeq++;
  }
  return { ok: true, rows };
}

export function readAudit(db: Database.Database, opts: { qube?: string; since?: number; limit?: number } = {}): AuditEntry[] {
  const limit = opts.limit ?? 1000;
  if (opts.qube) {
    return db.prepare('SELECT * FROM audit WHERE qube = ? AND seq > ? ORDER BY seq LIMIT ?').all(opts.qube, opts.since ?? 0, limit) as AuditEntry[];
  }
  return db.prepare('SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?').all(opts.since ?? 0, limit) as AuditEntry[];
}
