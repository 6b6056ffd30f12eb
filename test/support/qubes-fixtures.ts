// Where Qubes' reference policy files are, and why tests that need them skip when they are absent.
// They sit beside the checkout (../shared/fixtures) on the project's own machines, not in a user's clone;
// BULKHEAD_QUBES_FIXTURES names another copy. Tests that need them pass `{ skip: QUBES_POLICY_SKIP }`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const QUBES_POLICY = process.env.BULKHEAD_QUBES_FIXTURES ?? fileURLToPath(new URL('../../../shared/fixtures/qubes-policy', import.meta.url));

const PRESENT = existsSync(`${QUBES_POLICY}/90-default.policy`) && existsSync(`${QUBES_POLICY}/80-whonix.policy`);

/** false when the files are there; otherwise the reason the runner prints beside each skipped test. */
export const QUBES_POLICY_SKIP: string | false = PRESENT
  ? false
  : `Qubes' reference policy files are not at ${QUBES_POLICY} (set BULKHEAD_QUBES_FIXTURES to a copy)`;
