// RPC audit records, written in batches and bounded: rows cut to a size, and a rate per source beyond which rows are counted, not written.
import type { Logger } from 'pino';
import { boundAuditDetail, type StateStore } from '../../../state/index.js';
import { TokenBuckets, type RateLimit } from './rate.js';

interface Entry {
  actor: string;
  event: string;
  qube: string | null;
  detail: unknown;
}

interface Suppressed {
  qube: string | null;
  count: number;
  events: Record<string, number>;
  first: string;
  last: string;
  timer: NodeJS.Timeout;
}

/** Rows per source: a burst of 50, then 5 a second (a qube that calls faster gets summary rows). */
export const AUDIT_RATE: RateLimit = { burst: 50, perSecond: 5 };
/** At most one summary row per source in this window while its rows are being dropped. */
export const SUMMARY_EVERY_MS = 10_000;

export interface AuditBatcherOptions {
  windowMs?: number;
  rate?: RateLimit;
  summaryEveryMs?: number;
  now?: () => number;
}

/**
 * Records keep their order and land in the hash-chained audit log within `windowMs`; a daemon
 * that stops cleanly flushes first. A crash loses at most the last window's records.
 *
 * Everything in a record may come from a qube (a CALL frame holds up to 64 KiB), so each detail
 * is cut to `AUDIT_BOUNDS` and each source has a token bucket: a refused-call flood writes at most
 * the burst, the steady rate, and one `rpc-audit-suppressed` row per source and window saying how
 * many rows of which events were dropped.
 */
export class AuditBatcher {
  private queue: Entry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly windowMs: number;
  private readonly buckets: TokenBuckets;
  private readonly summaryEveryMs: number;
  private readonly now: () => number;
  private readonly suppressed = new Map<string, Suppressed>();

  constructor(
    private readonly store: StateStore,
    private readonly log: Logger,
    opts: AuditBatcherOptions = {},
  ) {
    this.windowMs = opts.windowMs ?? 50;
    this.buckets = new TokenBuckets(opts.rate ?? AUDIT_RATE);
    this.summaryEveryMs = opts.summaryEveryMs ?? SUMMARY_EVERY_MS;
    this.now = opts.now ?? Date.now;
  }

  /**
   * Queues a record; `key` is the source it is charged to (default: the qube). Returns false when
   * the source is over its rate and the record was only counted (callers then skip their log line too).
   */
  add(actor: string, event: string, qube: string | null, detail: unknown, key: string = qube ?? '-'): boolean {
    const now = this.now();
    if (!this.buckets.take(key, now)) {
      this.count(key, qube, event, now);
      return false;
    }
    // Judged now, while a disposable the row names still exists (it may be gone when the batch is written).
    this.push({ actor, event, qube, detail: boundAuditDetail(this.store.redactAudit(event, qube, detail)) });
    return true;
  }

  private push(e: Entry): void {
    this.queue.push(e);
    if (!this.timer) this.timer = setTimeout(() => this.flush(), this.windowMs);
  }

  private count(key: string, qube: string | null, event: string, now: number): void {
    const iso = new Date(now).toISOString();
    let s = this.suppressed.get(key);
    if (!s) {
      const timer = setTimeout(() => this.summarize(key), this.summaryEveryMs);
      timer.unref();
      s = { qube, count: 0, events: {}, first: iso, last: iso, timer };
      this.suppressed.set(key, s);
    }
    s.count++;
    s.events[event] = (s.events[event] ?? 0) + 1;
    s.last = iso;
  }

  /** One row for everything dropped of `key` since the last summary. */
  private summarize(key: string): void {
    const s = this.suppressed.get(key);
    if (!s) return;
    clearTimeout(s.timer);
    this.suppressed.delete(key);
    this.log.warn({ source: key, suppressed: s.count }, 'rpc audit rows over the rate were counted, not written');
    this.push({
      actor: 'rpc',
      event: 'rpc-audit-suppressed',
      qube: s.qube,
      detail: boundAuditDetail({ source: key, suppressed: s.count, events: s.events, first: s.first, last: s.last }),
    });
  }

  /** Writes what is queued (and, with `final`, the summaries not yet due: the daemon is stopping). */
  flush(final = false): void {
    if (final) for (const k of [...this.suppressed.keys()]) this.summarize(k);
    clearTimeout(this.timer);
    this.timer = undefined;
    this.buckets.sweep(this.now());
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    try {
      this.store.db
        .transaction(() => {
          for (const e of batch) this.store.audit(e.actor, e.event, e.qube, e.detail);
        })
        .immediate();
    } catch (err) {
      this.log.error({ err, lost: batch.length }, 'rpc audit records could not be written');
    }
  }
}
