// The one way to wait for something outside the process: poll until a probe has an answer or a deadline passes.
import { BulkheadError } from '../errors/index.js';

export interface WaitOptions {
  timeoutMs: number;
  intervalMs: number;
  /** Checked before every probe: true ends the wait with ERR_INTERNAL. */
  cancelled?: () => boolean;
  /** Whether an error thrown by the probe ends the wait; when false it is remembered and the probe runs again. Default: every error ends it. */
  fatal?: (e: unknown) => boolean;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a value other than undefined; ERR_TIMEOUT naming `what` (and the last error) at the deadline. */
export async function waitUntil<T>(what: string, o: WaitOptions, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + o.timeoutMs;
  let last: unknown;
  for (;;) {
    if (o.cancelled?.()) throw new BulkheadError('ERR_INTERNAL', `${what}: cancelled`);
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      if (o.fatal?.(e) ?? true) throw e;
      last = e;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? ` (last error: ${last.message})` : '';
      throw new BulkheadError('ERR_TIMEOUT', `${what}: not ready after ${o.timeoutMs} ms${why}`);
    }
    await sleep(o.intervalMs);
  }
}

/** Polls a condition; true once it holds, false when the deadline passes first. */
export async function pollFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() > deadline) return false;
    await sleep(intervalMs);
  }
}
