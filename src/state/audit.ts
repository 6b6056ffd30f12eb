// The append-only audit log: every row holds the hash of the previous one, so an edit shows.
import * as nodeCrypto from 'node:crypto';
import { createHash } from 'node:crypto';
import type { AuditEntry, AuditVerification } from '../contract/system.js';
export type { AuditEntry, AuditVerification };

/** Node's one-shot digest (20.12+): half the cost of a Hash object per row when a million rows are verified. */
const oneShot = (nodeCrypto as { hash?: (alg: string, data: string, enc: 'hex') => string }).hash;
import type Database from 'better-sqlite3';

export const GENESIS_HASH = '0'.repeat(64);

export function hashEntry(prevHash: string, e: Omit<AuditEntry, 'hash' | 'prev_hash'>): string {
  // Fixed field order; the detail is stored as the exact JSON text that was hashed.
  const body = JSON.stringify([e.seq, e.time, e.actor, e.event, e.qube, e.detail]);
  // One update of the joined text: the same digest as hashing the parts in turn, and cheaper per row.
  const text = `${prevHash}\n${body}`;
  return oneShot ? oneShot('sha256', text, 'hex') : createHash('sha256').update(text).digest('hex');
}

/** Append one row; call inside the transaction of the change it records. */
export function appendAudit(db: Database.Database, actor: string, event: string, qube: string | null, detail: unknown): AuditEntry {
  const last = db.prepare('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
  const seq = (last?.seq ?? 0) + 1;
  const prev_hash = last?.hash ?? GENESIS_HASH;
  const row = { seq, time: new Date().toISOString(), actor, event, qube, detail: JSON.stringify(detail ?? {}) };
  const hash = hashEntry(prev_hash, row);
  db.prepare('INSERT INTO audit (seq, time, actor, event, qube, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
    seq,
    row.time,
    actor,
    event,
    qube,
    row.detail,
    prev_hash,
    hash,
  );
  return { ...row, prev_hash, hash };
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

/** Limits of one audit row's detail when its content comes from a qube. */
export interface AuditBounds {
  /** Longest string, in bytes of its JSON text. */
  maxString: number;
  /** Bytes of JSON string text in the whole detail. */
  maxTotal: number;
  /** Items kept of an array (the rest are counted). */
  maxItems: number;
}

export const AUDIT_BOUNDS: AuditBounds = { maxString: 1024, maxTotal: 4096, maxItems: 16 };

/**
 * A copy of `detail` small enough for the audit log whatever a caller chose to send: long strings
 * are cut (ending in `…[cut N bytes]`), long arrays end in `…[N more]`, and a top-level object
 * that lost anything says `truncated: true`. Sizes count JSON text, so control characters (6 bytes
 * each once escaped) cannot inflate a row past the bound.
 */
export function boundAuditDetail(detail: unknown, bounds: AuditBounds = AUDIT_BOUNDS): unknown {
  let budget = bounds.maxTotal;
  let cut = false;
  const str = (s: string): string => {
    const limit = Math.min(bounds.maxString, budget);
    let used = 0;
    let kept = '';
    let whole = true;
    for (const ch of s) {
      const cost = Buffer.byteLength(JSON.stringify(ch)) - 2;
      if (used + cost > limit) {
        whole = false;
        break;
      }
      used += cost;
      kept += ch;
    }
    budget -= used;
    if (whole) return kept;
    cut = true;
    return `${kept}…[cut ${Buffer.byteLength(s) - Buffer.byteLength(kept)} bytes]`;
  };
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return str(v);
    if (v === null || typeof v !== 'object') return v;
    if (depth > 4) {
      cut = true;
      return '…[nested too deep]';
    }
    if (Array.isArray(v)) {
      const out = v.slice(0, bounds.maxItems).map((x) => walk(x, depth + 1));
      if (v.length > bounds.maxItems) {
        cut = true;
        out.push(`…[${v.length - bounds.maxItems} more]`);
      }
      return out;
    }
    const out: Record<string, unknown> = {};
    // Keys are the broker's own names, never the caller's.
    for (const [k, x] of Object.entries(v as Record<string, unknown>).slice(0, bounds.maxItems)) out[k] = walk(x, depth + 1);
    if (Object.keys(v as object).length > bounds.maxItems) cut = true;
    return out;
  };
  const res = walk(detail, 0);
  if (cut && res !== null && typeof res === 'object' && !Array.isArray(res)) (res as Record<string, unknown>).truncated = true;
  return res;
}
