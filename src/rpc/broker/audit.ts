// RPC audit records, written in batches: one transaction (one fsync) per short window instead of one per record.
import type { Logger } from 'pino';
import type { StateStore } from '../../state/index.js';

interface Entry { actor: string; event: string; qube: string | null; detail: unknown }

/**
 * Records keep their order and land in the hash-chained audit log within `windowMs`; a daemon
 * that stops cleanly flushes first. A crash loses at most the last window's records.
 */
export class AuditBatcher {
  private queue: Entry[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly store: StateStore, private readonly log: Logger, private readonly windowMs = 50) {}

  add(actor: string, event: string, qube: string | null, detail: unknown): void {
    this.queue.push({ actor, event, qube, detail });
    if (!this.timer) this.timer = setTimeout(() => this.flush(), this.windowMs);
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    try {
      this.store.db.transaction(() => {
        for (const e of batch) this.store.audit(e.actor, e.event, e.qube, e.detail);
      }).immediate();
    } catch (err) {
      this.log.error({ err, lost: batch.length }, 'rpc audit records could not be written');
    }
  }
}
