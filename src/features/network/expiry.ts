// Removes expired firewall rules when their time comes (Qubes' expire=), and re-applies the qube's chain.
import { nextExpiry } from '../../firewall/index.js';
import type { DaemonContext } from '../../daemon/context.js';
import type { Attachment } from './links.js';
import { storedRules } from './links.js';
import { editFirewall } from './firewall-service.js';

export class FirewallTimer {
  private timer: NodeJS.Timeout | null = null;
  private ctx: DaemonContext | null = null;
  constructor(private readonly attachments: Map<string, Attachment>) {}

  start(ctx: DaemonContext): void {
    this.ctx = ctx;
    this.schedule();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.ctx = null;
  }

  /** Find the earliest expiry across qubes and sleep until then (checked at least every minute). */
  schedule(): void {
    const ctx = this.ctx;
    if (!ctx) return;
    if (this.timer) clearTimeout(this.timer);
    let next: number | null = null;
    for (const q of ctx.store.listQubes()) {
      let rules;
      try {
        rules = storedRules(ctx, q.name);
      } catch {
        continue;
      }
      const e = nextExpiry(rules);
      if (e !== null && (next === null || e < next)) next = e;
    }
    const delay = next === null ? 60_000 : Math.max(0, Math.min(60_000, next * 1000 - Date.now() + 50));
    this.timer = setTimeout(() => void this.fire(), delay);
    this.timer.unref();
  }

  private async fire(): Promise<void> {
    const ctx = this.ctx;
    if (!ctx) return;
    const nowS = Date.now() / 1000;
    for (const q of ctx.store.listQubes()) {
      let rules;
      try {
        rules = storedRules(ctx, q.name);
      } catch {
        continue;
      }
      if (rules.some((r) => r.expire !== undefined && r.expire <= nowS)) {
        await editFirewall(ctx, this.attachments, q.name, { op: 'expire' }, 'firewall-timer').catch((e: unknown) =>
          ctx.log.warn({ err: e, qube: q.name }, 'expiring rules failed'),
        );
      }
    }
    this.schedule();
  }
}
