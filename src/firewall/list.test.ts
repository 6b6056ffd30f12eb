// Rule-list operations: numbering from 0, add/before, del by number or text, reset, expiry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addRule, defaultRules, delRule, expireRules, FirewallRuleError, formatRule, nextExpiry, parseRule, resetRules, type FirewallRule } from './index.js';

const r = (s: string): FirewallRule => parseRule(s);
const texts = (rules: FirewallRule[]) => rules.map(formatRule);

test('a new qube has the single rule action=accept; reset returns to it', () => {
  assert.deepEqual(texts(defaultRules()), ['action=accept']);
  assert.deepEqual(texts(resetRules()), ['action=accept']);
});

test('add appends; --before N inserts at N; N may be the length', () => {
  let rules = defaultRules();
  rules = addRule(rules, r('action=drop dsthost=1.2.3.4'));
  assert.deepEqual(texts(rules), ['action=accept', 'action=drop dsthost=1.2.3.4']);
  rules = addRule(rules, r('action=accept proto=tcp dstports=443'), 0);
  assert.deepEqual(texts(rules), ['action=accept proto=tcp dstports=443', 'action=accept', 'action=drop dsthost=1.2.3.4']);
  rules = addRule(rules, r('action=drop'), 3);
  assert.equal(formatRule(rules[3]!), 'action=drop');
  for (const bad of [-1, 5, 1.5]) {
    assert.throws(
      () => addRule(rules, r('action=drop'), bad),
      (e: unknown) => e instanceof FirewallRuleError && e.field === 'before',
    );
  }
});

test('operations do not change the list they were given', () => {
  const rules = defaultRules();
  addRule(rules, r('action=drop'));
  delRule(rules, 0);
  assert.deepEqual(texts(rules), ['action=accept']);
});

test('del by number and by identical rule text (canonical form)', () => {
  const rules = [r('action=accept proto=tcp dstports=80'), r('action=drop dsthost=10.0.0.1'), r('action=accept')];
  assert.deepEqual(texts(delRule(rules, 1)), ['action=accept proto=tcp dstports=80', 'action=accept']);
  // same rule written differently (order, /32) is identical
  assert.deepEqual(texts(delRule(rules, r('dsthost=10.0.0.1/32 action=drop'))), ['action=accept proto=tcp dstports=80', 'action=accept']);
  assert.throws(
    () => delRule(rules, 3),
    (e: unknown) => e instanceof FirewallRuleError && e.field === 'rule-no',
  );
  assert.throws(
    () => delRule(rules, r('action=drop')),
    (e: unknown) => e instanceof FirewallRuleError && e.field === 'rule',
  );
  assert.throws(() => delRule([], 0), /no rules/);
});

test('expireRules removes rules whose time has come; nextExpiry gives the earliest', () => {
  const rules = [r('action=accept expire=200'), r('action=drop expire=100'), r('action=accept')];
  assert.equal(nextExpiry(rules), 100);
  assert.deepEqual(texts(expireRules(rules, 99)), texts(rules));
  assert.deepEqual(texts(expireRules(rules, 100)), ['action=accept expire=200', 'action=accept']);
  const later = expireRules(rules, 250);
  assert.deepEqual(texts(later), ['action=accept']);
  assert.equal(nextExpiry(later), null);
});
