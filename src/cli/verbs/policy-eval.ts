// `bulkhead policy eval`: decides one call offline against policy directories and a system description.
import { describeErrors, loadPolicyDirs } from '../../policy-files/index.js';
import { evaluate, splitServiceArgument, type Decision } from '../../policy/index.js';
import { readSystemFile } from './policy-system.js';

export interface PolicyEvalOptions {
  policyDir: string[];
  /** Path of the system description JSON. */
  system: string;
  source: string;
  target: string;
  /** SERVICE or SERVICE+ARGUMENT */
  service: string;
  json: boolean;
}

/** Exit codes: 0 allow, 1 deny, 3 ask, 2 bad input (system file). */
export const EVAL_EXIT = { allow: 0, deny: 1, usage: 2, ask: 3 } as const;

function text(d: Decision, loadErrors: string[]): string {
  const lines = [`result: ${d.result}`];
  if (d.target !== null) lines.push(`target: ${d.target}`);
  if (d.result !== 'deny') {
    lines.push(`user: ${d.user ?? 'DEFAULT'}`, `autostart: ${d.autostart ? 'yes' : 'no'}`);
  }
  lines.push(`notify: ${d.notify ? 'yes' : 'no'}`);
  if (d.result === 'ask') {
    lines.push(`candidates: ${d.candidates.join(' ')}`, `default_target: ${d.default_target ?? '(none)'}`);
  }
  lines.push(`rule: ${d.rule ?? '(none)'}`, `reason: ${d.reason}`);
  for (const e of loadErrors) lines.push(`policy error: ${e}`);
  return lines.join('\n') + '\n';
}

export function policyEval(opts: PolicyEvalOptions): { stdout: string; exitCode: number } {
  const sys = readSystemFile(opts.system);
  if (!sys.ok) return { stdout: sys.errors.join('\n') + '\n', exitCode: EVAL_EXIT.usage };
  const load = loadPolicyDirs(opts.policyDir);
  const { service, argument } = splitServiceArgument(opts.service);
  const d = evaluate(load, sys.system, { source: opts.source, target: opts.target, service, argument });
  const errors = describeErrors(load);
  const out = opts.json
    ? JSON.stringify({
        result: d.result,
        target: d.target,
        user: d.user,
        autostart: d.autostart,
        notify: d.notify,
        candidates: d.candidates,
        default_target: d.default_target,
        rule: d.rule,
        reason: d.reason,
        ...(errors.length ? { errors } : {}),
      }) + '\n'
    : text(d, errors);
  return { stdout: out, exitCode: EVAL_EXIT[d.result] };
}
