// qvm-firewall on the admin side: edit a qube's rules, apply them in its netvm, keep the last good set.
import { BulkheadError } from '../../errors/index.js';
import { addRule, delRule, expireRules, formatRule, parseRule, resetRules, type FirewallRule } from '../../firewall/index.js';
import type { DaemonContext } from '../../daemon/context.js';
import { reapplyFirewall, storedRules, type Attachment } from './links.js';

export type FirewallEdit = { op: 'add'; rule: string; before?: number } | { op: 'del'; index?: number; rule?: string } | { op: 'reset' } | { op: 'expire' };

const now = () => Math.floor(Date.now() / 1000);

/** The new rule list for an edit; throws FirewallRuleError (field + reason) on bad input, changing nothing. */
export function planEdit(current: FirewallRule[], edit: FirewallEdit): FirewallRule[] {
  switch (edit.op) {
    case 'add':
      return addRule(current, parseRule(edit.rule, { now: now() }), edit.before);
    case 'del':
      if (edit.index !== undefined) return delRule(current, edit.index);
      if (edit.rule !== undefined) return delRule(current, parseRule(edit.rule, { now: now() }));
      throw new BulkheadError('ERR_FIREWALL', 'firewall del: give a rule number or the rule');
    case 'reset':
      return resetRules();
    case 'expire':
      return expireRules(current, now());
  }
}

/**
 * Apply an edit: parse and plan (bad input → error, nothing changes); if the qube is attached,
 * load the new rules first — if that fails the qube is left blocked and the stored set stays the
 * last good one; only a loaded (or not yet needed) set is stored.
 */
export async function editFirewall(
  ctx: DaemonContext,
  attachments: Map<string, Attachment>,
  name: string,
  edit: FirewallEdit,
  actor = 'admin',
): Promise<{ rules: string[]; cut: number }> {
  ctx.store.requireQube(name);
  const current = storedRules(ctx, name);
  const next = planEdit(current, edit);
  const a = attachments.get(name);
  let cut = 0;
  if (a) cut = (await reapplyFirewall(ctx, name, a, next)).cut;
  const texts = next.map(formatRule);
  ctx.store.setFirewallRules(actor, name, texts);
  ctx.events.emit('firewall-changed', { qube: name, rules: texts });
  return { rules: texts, cut };
}
