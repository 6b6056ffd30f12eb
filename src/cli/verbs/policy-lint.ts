// `bulkhead policy lint DIR...`: loads the policy and reports every error as file:line: message.
import { formatProblem } from '../../policy/index.js';
import { loadPolicyDirs } from '../../policy-files/index.js';

/** Exit 0 when the policy loads clean (warnings go to stderr), 1 when any error is found. */
export function policyLint(dirs: string[]): { stdout: string; stderr: string; exitCode: number } {
  const load = loadPolicyDirs(dirs);
  if (!load.ok) {
    const lines = load.errors.map(formatProblem);
    return { stdout: '', stderr: lines.join('\n') + `\n${lines.length} error(s); every call would be denied\n`, exitCode: 1 };
  }
  const warnings = load.warnings.map((w) => `warning: ${formatProblem(w)}`);
  return {
    stdout: `${load.policy.rules.length} rule(s), no errors\n`,
    stderr: warnings.length ? warnings.join('\n') + '\n' : '',
    exitCode: 0,
  };
}
