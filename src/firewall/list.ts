// Rule-list operations as qvm-firewall has them: ordered, numbered from 0, first match wins.
import { formatRule } from './parse.js';
import { FirewallRuleError, type FirewallRule } from './types.js';

/** A new qube's rules: the single rule `action=accept`. */
export function defaultRules(): FirewallRule[] {
  return [{ action: 'accept' }];
}

/** `reset`: back to the default. */
export function resetRules(): FirewallRule[] {
  return defaultRules();
}

/** `add`: appends, or inserts before rule number `before` (0..length). */
export function addRule(rules: readonly FirewallRule[], rule: FirewallRule, before?: number): FirewallRule[] {
  if (before === undefined) return [...rules, rule];
  if (!Number.isInteger(before) || before < 0 || before > rules.length) {
    throw new FirewallRuleError('before', `rule number must be 0..${rules.length}`);
  }
  return [...rules.slice(0, before), rule, ...rules.slice(before)];
}

/** `del`: by rule number, or by a rule identical to one in the list (first such). */
export function delRule(rules: readonly FirewallRule[], which: number | FirewallRule): FirewallRule[] {
  let index: number;
  if (typeof which === 'number') {
    if (!Number.isInteger(which) || which < 0 || which >= rules.length) {
      throw new FirewallRuleError('rule-no', rules.length === 0 ? 'there are no rules' : `rule number must be 0..${rules.length - 1}`);
    }
    index = which;
  } else {
    const text = formatRule(which);
    index = rules.findIndex((r) => formatRule(r) === text);
    if (index < 0) throw new FirewallRuleError('rule', `no rule '${text}'`);
  }
  return [...rules.slice(0, index), ...rules.slice(index + 1)];
}

/** A rule is expired once its expire time is reached (expire <= now). */
export function isExpired(rule: FirewallRule, now: number): boolean {
  return rule.expire !== undefined && rule.expire <= now;
}

/** Drops rules whose expire time has come. */
export function expireRules(rules: readonly FirewallRule[], now: number): FirewallRule[] {
  return rules.filter((r) => !isExpired(r, now));
}

/** The earliest expire time among the rules, or null: when the expiry timer must fire next. */
export function nextExpiry(rules: readonly FirewallRule[]): number | null {
  let next: number | null = null;
  for (const r of rules) if (r.expire !== undefined && (next === null || r.expire < next)) next = r.expire;
  return next;
}
