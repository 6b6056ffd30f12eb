// Test harness: a daemon's policy.d made of the shipped policy plus a test's own rules, before the daemon starts.
import { cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './daemon.js';

/** Copies policy/default into HOME/policy.d and adds `extra` as 30-test.policy (read at the daemon's start). */
export function installTestPolicy(home: string, extra: string): void {
  const pol = join(home, 'policy.d');
  mkdirSync(pol, { recursive: true });
  for (const f of readdirSync(join(ROOT, 'policy', 'default'))) cpSync(join(ROOT, 'policy', 'default', f), join(pol, f));
  writeFileSync(join(pol, '30-test.policy'), extra);
}
