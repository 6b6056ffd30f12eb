// Compiles a policy for fast evaluation: rules indexed by service, fields turned into matcher closures.
import { compileSource, compileTarget, type SourceMatcher, type TargetMatcher } from './match.js';
import type { Policy, Rule } from './types.js';

export interface CompiledRule {
  readonly rule: Rule;
  readonly argument: string | null;
  readonly source: SourceMatcher;
  readonly target: TargetMatcher;
  readonly where: string;
}

export interface CompiledPolicy {
  /** Rules of one service together with the `*` rules, in file order. */
  forService(service: string): readonly CompiledRule[];
}

const compiled = new WeakMap<Policy, CompiledPolicy>();

export function compilePolicy(policy: Policy): CompiledPolicy {
  const hit = compiled.get(policy);
  if (hit) return hit;
  const all = policy.rules.map((rule): CompiledRule => ({
    rule,
    argument: rule.argument,
    source: compileSource(rule.source),
    target: compileTarget(rule.target),
    where: `${rule.file}:${rule.line}`,
  }));
  const anyService = all.filter((c) => c.rule.service === null);
  const byService = new Map<string, CompiledRule[]>();
  for (const c of all) {
    const s = c.rule.service;
    if (s !== null && !byService.has(s)) byService.set(s, []);
  }
  // Each named service gets its own rules merged with the `*` ones, keeping file order.
  for (const [svc, list] of byService) {
    for (const c of all) if (c.rule.service === null || c.rule.service === svc) list.push(c);
  }
  const result: CompiledPolicy = {
    forService: (service) => byService.get(service) ?? anyService,
  };
  compiled.set(policy, result);
  return result;
}
