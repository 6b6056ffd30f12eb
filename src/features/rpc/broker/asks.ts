// Pending `ask` decisions: shown on the admin API, answered from the CLI or the dashboard, denied when nobody answers in time.
import { randomBytes } from 'node:crypto';
import { BulkheadError } from '../../../errors/index.js';
import type { AdminEvents } from '../../../daemon/events.js';
import type { PendingAsk } from '../../../contract/rpc.js';
export type { PendingAsk };

export type AskAnswer = { answer: 'allow'; target: string } | { answer: 'deny'; reason: string };

interface Entry {
  ask: PendingAsk;
  resolve: (a: AskAnswer) => void;
  timer: NodeJS.Timeout;
}

export class AskRegistry {
  private readonly pending = new Map<string, Entry>();

  constructor(private readonly events: AdminEvents) {}

  list(): PendingAsk[] {
    return [...this.pending.values()].map((e) => e.ask);
  }

  /** Publishes an ask and waits for its answer; no answer within timeoutMs is a deny. */
  ask(req: Omit<PendingAsk, 'id' | 'createdAt' | 'expiresAt'>, timeoutMs: number): { id: string; answer: Promise<AskAnswer> } {
    const id = randomBytes(6).toString('hex');
    const now = Date.now();
    const ask: PendingAsk = { ...req, id, createdAt: new Date(now).toISOString(), expiresAt: new Date(now + timeoutMs).toISOString() };
    const answer = new Promise<AskAnswer>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ answer: 'deny', reason: `no answer within ${Math.round(timeoutMs / 1000)} s` });
      }, timeoutMs);
      this.pending.set(id, { ask, resolve, timer });
    });
    this.events.emit('rpc-ask', {
      id,
      source: req.source,
      target: req.target,
      service: `${req.service}${req.argument === '+' ? '' : req.argument}`,
      candidates: req.candidates,
      defaultTarget: req.defaultTarget,
    });
    return { id, answer };
  }

  /** An answer from the admin side. `target` must be one of the candidates (default: the default target). */
  answer(id: string, answer: 'allow' | 'deny', target?: string): PendingAsk {
    const e = this.pending.get(id);
    if (!e) throw new BulkheadError('ERR_NO_SUCH_QUBE', `no pending RPC ask with id '${id}'`);
    if (answer === 'allow') {
      const t = target ?? e.ask.defaultTarget ?? (e.ask.candidates.length === 1 ? e.ask.candidates[0] : undefined);
      if (!t) throw new BulkheadError('ERR_INVALID_VALUE', `target: choose one of ${e.ask.candidates.join(', ')}`);
      if (!e.ask.candidates.includes(t)) throw new BulkheadError('ERR_INVALID_VALUE', `target: '${t}' is not one of ${e.ask.candidates.join(', ')}`);
      this.settle(id, { answer: 'allow', target: t });
    } else {
      this.settle(id, { answer: 'deny', reason: 'denied by the admin' });
    }
    return e.ask;
  }

  /** Ends an ask without an answer (the caller went away). */
  cancel(id: string): void {
    this.settle(id, { answer: 'deny', reason: 'the caller went away' });
  }

  private settle(id: string, a: AskAnswer): void {
    const e = this.pending.get(id);
    if (!e) return;
    clearTimeout(e.timer);
    this.pending.delete(id);
    e.resolve(a);
  }

  closeAll(): void {
    for (const id of [...this.pending.keys()]) this.settle(id, { answer: 'deny', reason: 'the daemon is stopping' });
  }
}
