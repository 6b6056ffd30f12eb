// Waiting: an answer ends the wait, a deadline gives ERR_TIMEOUT with the last error, fatal errors and cancelling end it at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pollFor, waitUntil } from './wait.js';

test('waitUntil returns the first answer, remembers retried errors, stops on fatal ones', async () => {
  let n = 0;
  assert.equal(await waitUntil('three', { timeoutMs: 1000, intervalMs: 1 }, () => (++n >= 3 ? n : undefined)), 3);
  await assert.rejects(
    waitUntil('never', { timeoutMs: 30, intervalMs: 5, fatal: () => false }, () => {
      throw new Error('not yet');
    }),
    (e: Error & { code?: string }) => e.code === 'ERR_TIMEOUT' && /never: not ready after 30 ms \(last error: not yet\)/.test(e.message),
  );
  let calls = 0;
  await assert.rejects(
    waitUntil('fatal', { timeoutMs: 1000, intervalMs: 1 }, () => {
      calls++;
      throw new Error('gone');
    }),
    /gone/,
  );
  assert.equal(calls, 1, 'an error ends the wait by default');
  await assert.rejects(
    waitUntil('cancelled', { timeoutMs: 1000, intervalMs: 1, cancelled: () => true }, () => 1),
    /cancelled/,
  );
});

test('pollFor: true once the condition holds, false at the deadline', async () => {
  let n = 0;
  assert.equal(await pollFor(() => ++n > 2, 1000, 1), true);
  const t = Date.now();
  assert.equal(await pollFor(() => false, 40, 5), false);
  assert.ok(Date.now() - t >= 40);
});
