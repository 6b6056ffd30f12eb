// The examiner's report of a state directory: header, inventory and chain result around one pass over the audit log.
import type Database from 'better-sqlite3';
import type { AuditEntry } from '../../state/audit.js';
import { ChainWalker, type Anchor, type ChainResult } from './chain.js';
import { readInventory, type QubeInventory } from './inventory.js';
import { toEvent, type TimelineEvent } from './timeline.js';

export interface ReportHeader {
  tool: string;
  generatedAt: string;
  stateDir: string;
  files: { path: string; bytes: number; sha256: string }[];
}

export interface ReportSummary { inventory: QubeInventory[]; removed: string[]; chain: ChainResult }

/** One pass: `events()` yields the timeline in seq order; `summary()` is complete once it has run. */
export class ReportPass {
  private readonly walker: ChainWalker;
  private readonly inventory: QubeInventory[];
  private readonly seen = new Set<string>();

  constructor(private readonly db: Database.Database, stateDir: string, anchor?: Anchor) {
    this.walker = new ChainWalker(anchor);
    this.inventory = readInventory(db, stateDir);
  }

  *events(): Generator<TimelineEvent> {
    const byName = new Map(this.inventory.map((q) => [q.name, q]));
    for (const r of this.db.prepare('SELECT seq, time, actor, event, qube, detail, prev_hash, hash FROM audit ORDER BY seq').iterate() as IterableIterator<AuditEntry>) {
      this.walker.feed(r);
      const e = toEvent(r);
      if (r.qube) {
        this.seen.add(r.qube);
        const q = byName.get(r.qube);
        if (q && r.event === 'qube-started') q.lastStarted = r.time;
        if (q && r.event === 'qube-stopped') q.lastStopped = r.time;
      }
      yield e;
    }
  }

  summary(): ReportSummary {
    const live = new Set(this.inventory.map((q) => q.name));
    return { inventory: this.inventory, removed: [...this.seen].filter((n) => !live.has(n)).sort(), chain: this.walker.result() };
  }
}
