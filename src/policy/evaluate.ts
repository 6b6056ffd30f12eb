// Decides one RPC call against a loaded policy and a system snapshot: first matching rule, then its action.
import { candidatesFor, finishCandidates } from './candidates.js';
import { compilePolicy, type CompiledRule } from './compile.js';
import { resolveRequested, resolveTargetToken, targetName, type Intended } from './intended.js';
import { lookup, viewOf, type PolicyQube, type SystemView } from './system.js';
import type { Decision, Policy, PolicyLoad, PolicyRequest, SystemSnapshot } from './types.js';

const SERVICE = /^[A-Za-z0-9._-]+$/;
const ARGUMENT = /^\+[A-Za-z0-9._+-]*$/;

function deny(reason: string, notify: boolean, rule: string | null = null): Decision {
  return {
    result: 'deny',
    target: null,
    user: null,
    autostart: null,
    notify,
    candidates: [],
    default_target: null,
    rule,
    reason,
  };
}

/** Splits `SERVICE+ARG` the way qrexec does: no `+` means the empty argument `+`. */
export function splitServiceArgument(call: string): { service: string; argument: string } {
  const plus = call.indexOf('+');
  return plus < 0 ? { service: call, argument: '+' } : { service: call.slice(0, plus), argument: call.slice(plus) };
}

/** Would a call to this target run without starting anything? (`autostart=no`) */
function startsNothing(sys: SystemView, target: string): boolean {
  if (target.startsWith('@dispvm')) return false;
  return sys.qubes.get(target)?.running === true;
}

function findRule(rules: readonly CompiledRule[], req: PolicyRequest, src: PolicyQube, it: Intended, sys: SystemView) {
  for (const c of rules) {
    if (c.argument !== null && c.argument !== req.argument) continue;
    if (c.source(src, sys) && c.target(it, src, sys)) return c;
  }
  return undefined;
}

/**
 * Evaluates a call. A policy that failed to load (PolicyLoad with ok=false) denies every call.
 * Halted targets under `autostart=no` are refused here, as Qubes' evaluator does.
 */
export function evaluate(policy: Policy | PolicyLoad, snapshot: SystemSnapshot, req: PolicyRequest): Decision {
  if ('ok' in policy) {
    if (!policy.ok) return deny(`policy failed to load (${policy.errors.length} error(s))`, true);
    policy = policy.policy;
  }
  const sys = viewOf(snapshot);
  if (!SERVICE.test(req.service)) return deny(`invalid service name '${req.service}'`, true);
  if (!ARGUMENT.test(req.argument)) return deny(`invalid argument '${req.argument}'`, true);
  const src = lookup(sys, req.source);
  if (!src) return deny(`unknown source qube '${req.source}'`, true);
  const it = resolveRequested(sys, req.target);
  if (typeof it === 'string') return deny(`invalid target: ${it}`, true);

  const rules = compilePolicy(policy).forService(req.service);
  const hit = findRule(rules, req, src, it, sys);
  if (!hit) return deny('no matching rule found', true);
  const { action } = hit.rule;
  const where = hit.where;

  if (action.name === 'deny') return deny(`denied by policy ${where}`, action.notify, where);

  if (action.name === 'allow') {
    const chosen = action.target === null ? it : resolveTargetToken(sys, action.target);
    if (typeof chosen === 'string') return deny(`${chosen} (${where})`, true, where);
    if (chosen.kind === 'default') return deny(`allow at ${where} but no target given by caller or policy`, true, where);
    const target = targetName(sys, src, chosen);
    if (target === null) return deny(`allow to @dispvm at ${where} but ${src.name} has no default_dispvm`, true, where);
    if (!action.autostart && !startsNothing(sys, target)) {
      return deny(`target ${target} would need to be started but autostart=no (${where})`, action.notify, where);
    }
    if (target === src.name) return deny(`a qube cannot call itself (${where})`, true, where);
    return {
      result: 'allow',
      target,
      user: action.user,
      autostart: action.autostart,
      notify: action.notify,
      candidates: [],
      default_target: null,
      rule: where,
      reason: `allowed by policy ${where}`,
    };
  }

  // ask
  let candidates: readonly string[];
  if (action.target !== null) {
    const fixed = resolveTargetToken(sys, action.target);
    const name = typeof fixed === 'string' ? null : targetName(sys, src, fixed);
    candidates = finishCandidates(sys, src, name === null ? [] : [name]);
  } else {
    candidates = candidatesFor(sys, src, rules, req.argument);
  }
  if (!action.autostart) candidates = candidates.filter((c) => startsNothing(sys, c));
  if (candidates.length === 0) return deny(`ask at ${where} but no target is available to choose from`, true, where);
  let defaultTarget: string | null = null;
  if (action.defaultTarget !== null) {
    const d = resolveTargetToken(sys, action.defaultTarget);
    const name = typeof d === 'string' ? null : targetName(sys, src, d);
    defaultTarget = name !== null && candidates.includes(name) ? name : null;
  }
  return {
    result: 'ask',
    target: null,
    user: action.user,
    autostart: action.autostart,
    notify: action.notify,
    candidates,
    default_target: defaultTarget,
    rule: where,
    reason: `ask by policy ${where}`,
  };
}
