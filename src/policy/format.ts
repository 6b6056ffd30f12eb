// One-line text for a policy problem: `file:line: message`.
import type { PolicyProblem } from './types.js';

export function formatProblem(p: PolicyProblem): string {
  return p.line > 0 ? `${p.file}:${p.line}: ${p.message}` : `${p.file}: ${p.message}`;
}
