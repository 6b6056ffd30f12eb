// The one global clipboard of the admin side: copied out of a qube, pasted into another only as qubes.ClipboardPaste policy says.
import { BulkheadError } from '../../../errors/index.js';
import { evaluate } from '../../../policy/index.js';
import type { DaemonContext } from '../../../daemon/context.js';
import { isRunning } from '../../../daemon/lifecycle/power.js';
import { adminCall } from './admin-call.js';
import type { AgentRegistry } from './agents.js';
import type { AskRegistry } from './asks.js';
import type { PolicySource } from './policy-source.js';
import { policySnapshot } from './snapshot.js';

/** Qubes' limit for the inter-qube clipboard. */
export const CLIPBOARD_MAX = 65000;
export const CLIPBOARD_READ_SERVICE = 'bulkhead.ClipboardRead';
export const CLIPBOARD_PASTE_SERVICE = 'qubes.ClipboardPaste';

export interface ClipboardDeps {
  ctx: DaemonContext;
  agents: AgentRegistry;
  asks: AskRegistry;
  policy: PolicySource;
  askTimeoutMs: number;
}

export class Clipboard {
  private data: Buffer | null = null;
  private source: string | null = null;

  constructor(private readonly d: ClipboardDeps) {}

  status(): { source: string | null; bytes: number } {
    return { source: this.source, bytes: this.data?.length ?? 0 };
  }

  private running(qube: string): void {
    this.d.ctx.store.requireQube(qube);
    if (!isRunning(this.d.ctx, qube)) throw new BulkheadError('ERR_QUBE_NOT_RUNNING', `'${qube}' is not running`);
  }

  /** Empties the global clipboard if it holds `source`'s data (the residue proof leaves nothing in the admin's RAM). */
  forget(source: string): void {
    if (this.source !== source) return;
    this.data = null;
    this.source = null;
  }

  /** Takes `qube`'s clipboard file into the global clipboard (Qubes: Ctrl-Shift-C). */
  async copy(qube: string): Promise<{ source: string; bytes: number }> {
    this.running(qube);
    const r = await adminCall(this.d.agents, qube, CLIPBOARD_READ_SERVICE, Buffer.alloc(0), { timeoutMs: 10_000, maxOutput: CLIPBOARD_MAX + 4096 });
    if (r.code !== 0) throw new BulkheadError('ERR_EXEC', `clipboard copy from '${qube}' failed (exit ${r.code}): ${r.stderr.trim()}`);
    if (r.stdout.length > CLIPBOARD_MAX) throw new BulkheadError('ERR_INVALID_VALUE', `clipboard of '${qube}' exceeds ${CLIPBOARD_MAX} bytes`);
    this.data = r.stdout;
    this.source = qube;
    this.d.ctx.store.audit('admin', 'clipboard-copy', qube, { bytes: r.stdout.length });
    return { source: qube, bytes: r.stdout.length };
  }

  /** Gives the global clipboard to `qube` if policy allows (asking if it says ask), then empties it (Qubes: Ctrl-Shift-V). */
  async paste(qube: string): Promise<{ source: string; bytes: number }> {
    if (!this.data || !this.source) throw new BulkheadError('ERR_INVALID_VALUE', 'the clipboard is empty');
    this.running(qube);
    const source = this.source;
    const data = this.data;
    let dec = evaluate(this.d.policy.get(), policySnapshot(this.d.ctx.store), { source, target: qube, service: CLIPBOARD_PASTE_SERVICE, argument: '+' });
    let target = dec.target;
    if (dec.result === 'ask') {
      const { answer } = this.d.asks.ask(
        {
          source,
          target: qube,
          service: CLIPBOARD_PASTE_SERVICE,
          argument: '+',
          candidates: [...dec.candidates],
          defaultTarget: dec.default_target ?? (dec.candidates.includes(qube) ? qube : null),
        },
        this.d.askTimeoutMs,
      );
      const a = await answer;
      if (a.answer === 'allow') target = a.target;
      else dec = { ...dec, result: 'deny', reason: a.reason };
    }
    this.d.ctx.store.audit('admin', 'clipboard-paste', qube, { source, bytes: data.length, result: dec.result, rule: dec.rule, reason: dec.reason });
    if (dec.result === 'deny' || target !== qube) {
      throw new BulkheadError('ERR_PERMISSION', `qubes.ClipboardPaste from '${source}' to '${qube}' refused: ${dec.reason}`);
    }
    const r = await adminCall(this.d.agents, qube, CLIPBOARD_PASTE_SERVICE, data, { timeoutMs: 10_000, maxOutput: 4096, source });
    if (r.code !== 0) throw new BulkheadError('ERR_EXEC', `clipboard paste into '${qube}' failed (exit ${r.code}): ${r.stderr.trim()}`);
    this.data = null;
    this.source = null;
    return { source, bytes: data.length };
  }
}
