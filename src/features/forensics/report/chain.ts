// Walks the hash-chained audit log row by row: the first broken row, the head, and a recorded anchor checked (pure).
import { BulkheadError } from '../../../errors/index.js';
import { GENESIS_HASH, hashEntry, type AuditEntry } from '../../../state/audit.js';

export interface Anchor {
  /** Hash of row `length` when the anchor was taken. */
  hash: string;
  /** Rows in the chain then (the seq of its head). */
  length: number;
}

export interface ChainResult {
  ok: boolean;
  rows: number;
  /** Hash of the last row (GENESIS for an empty log). */
  head: string;
  brokenAt?: number;
  reason?: string;
  anchor?: { hash: string; length: number; ok: boolean; reason?: string };
}

/** `HASH:LENGTH` as printed by `bulkhead forensics anchor`. */
export function parseAnchor(untrusted: string): Anchor {
  const m = /^([0-9a-f]{64}):(\d{1,15})$/.exec(untrusted.trim());
  if (!m)
    throw new BulkheadError(
      'ERR_INVALID_VALUE',
      `--anchor: expected HASH:LENGTH (64 hex digits, a colon, a row count), got ${JSON.stringify(untrusted.slice(0, 100))}`,
    );
  return { hash: m[1]!, length: Number(m[2]) };
}

export function formatAnchor(a: Anchor): string {
  return `${a.hash}:${a.length}`;
}

/** Feed rows in seq order; `result()` says whether the chain holds, and whether it still holds the anchor. */
export class ChainWalker {
  private prev = GENESIS_HASH;
  private expect = 1;
  private rows = 0;
  private broken: { at: number; reason: string } | undefined;
  private anchorSeen: string | undefined;

  constructor(private readonly anchor?: Anchor) {}

  /** Returns false once the chain is broken (later rows are not checked: they hang off a bad link). */
  feed(r: AuditEntry): boolean {
    if (this.broken) return false;
    this.rows++;
    if (r.seq !== this.expect) this.broken = { at: r.seq, reason: `row ${this.expect} is missing (next row is ${r.seq})` };
    else if (r.prev_hash !== this.prev) this.broken = { at: r.seq, reason: 'link to the previous row does not match' };
    else if (hashEntry(this.prev, r) !== r.hash) this.broken = { at: r.seq, reason: 'row content does not match its hash' };
    if (this.broken) return false;
    if (this.anchor && r.seq === this.anchor.length) this.anchorSeen = r.hash;
    this.prev = r.hash;
    this.expect++;
    return true;
  }

  result(): ChainResult {
    const out: ChainResult = { ok: !this.broken, rows: this.rows, head: this.prev };
    if (this.broken) {
      out.brokenAt = this.broken.at;
      out.reason = this.broken.reason;
    }
    const a = this.anchor;
    if (a) {
      const valid = this.expect - 1;
      let reason: string | undefined;
      if (a.length === 0) reason = a.hash === GENESIS_HASH ? undefined : 'an empty chain has the genesis hash';
      else if (valid < a.length)
        reason = this.broken
          ? `the chain breaks at row ${this.broken.at}, before the anchored row ${a.length}`
          : `the chain has ${valid} rows, fewer than the ${a.length} anchored: its tail was truncated`;
      else if (this.anchorSeen !== a.hash) reason = `row ${a.length} has hash ${this.anchorSeen}, not the anchored ${a.hash}: the log was rewritten`;
      out.anchor = { ...a, ok: reason === undefined, ...(reason ? { reason } : {}) };
      if (reason) out.ok = false;
    }
    return out;
  }
}
