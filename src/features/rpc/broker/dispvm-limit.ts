// How many disposables RPC calls of one qube may hold at once (global max_dispvms_per_qube); a disposable's own calls count for the qube that made it.
import { BulkheadError } from '../../../errors/index.js';
import { maxDispvmsPerQube, type SystemView } from '../../../model/index.js';

export interface DispvmTicket {
  /** The qube the disposable is charged to (the caller, or the qube whose call made the calling disposable). */
  origin: string;
  /** The disposable was made: its own @dispvm calls count for `origin` too. */
  made(name: string): void;
  /** The disposable is gone (or was never made): frees the slot. Safe to call twice. */
  release(): void;
}

export class DispvmQuota {
  private readonly held = new Map<string, number>();
  /** Disposable → the qube it is charged to. */
  private readonly chargedTo = new Map<string, string>();

  /** Who pays for a disposable that `source` asks for. */
  originOf(source: string): string {
    return this.chargedTo.get(source) ?? source;
  }

  inUse(origin: string): number {
    return this.held.get(origin) ?? 0;
  }

  /** Takes a slot for a disposable asked for by `source`, or refuses when its origin holds the limit already. */
  acquire(source: string, sys: SystemView): DispvmTicket {
    const origin = this.originOf(source);
    const limit = maxDispvmsPerQube(sys);
    const n = this.inUse(origin);
    if (n >= limit) {
      const via = origin === source ? '' : ` (through its disposable '${source}')`;
      throw new BulkheadError(
        'ERR_PERMISSION',
        `'${origin}'${via} holds ${n} disposables from RPC calls already; the limit is ${limit} (global max_dispvms_per_qube)`,
      );
    }
    this.held.set(origin, n + 1);
    let name: string | undefined;
    let done = false;
    return {
      origin,
      made: (x) => {
        name = x;
        this.chargedTo.set(x, origin);
      },
      release: () => {
        if (done) return;
        done = true;
        if (name) this.chargedTo.delete(name);
        const left = this.inUse(origin) - 1;
        if (left > 0) this.held.set(origin, left);
        else this.held.delete(origin);
      },
    };
  }
}
