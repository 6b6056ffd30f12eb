// Readiness probes of the lab network, read from tor's control port: consensus with microdescriptors, bootstrap, onion upload.
import { BulkheadError } from '../../errors/index.js';
import type { WaitOptions } from '../../exec/index.js';
import type { TorControl } from '../../tor-control/index.js';

/** Waits on tor: a program that failed (ERR_EXEC) ends the wait at once; anything else is tried again until the deadline. */
export const torWait = (timeoutMs: number, intervalMs: number, cancelled?: () => boolean): WaitOptions => ({
  timeoutMs,
  intervalMs,
  cancelled,
  fatal: (e: unknown) => e instanceof BulkheadError && e.code === 'ERR_EXEC',
});

/** Fingerprints (of `expected`) that this tor does not yet have both in its consensus and as a microdescriptor. */
export async function missingFromConsensus(ctl: TorControl, expected: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const fp of expected) {
    const ns = await ctl.raw(`GETINFO ns/id/${fp}`);
    const md = ns.status === 250 ? await ctl.raw(`GETINFO md/id/${fp}`) : ns;
    const hasMd = md.status === 250 && md.lines.some((l) => (l.data?.length ?? 0) > 0 || /^md\/id\/\S+=\S/.test(l.text));
    if (!hasMd) missing.push(fp);
  }
  return missing;
}

/** Bootstrap progress 0..100 from `GETINFO status/bootstrap-phase`. */
export async function bootstrapProgress(ctl: TorControl): Promise<number> {
  const phase = await ctl.getinfoOne('status/bootstrap-phase');
  const m = /PROGRESS=(\d+)/.exec(phase);
  return m?.[1] ? Number(m[1]) : 0;
}

/**
 * Resolves once the onion service's descriptors are stored: every HSDir an upload was launched to has
 * answered (HS_DESC UPLOADED or FAILED), at least one stored it, and no new upload started for `settleMs`.
 * Subscribes first, then lets tor reach the network (the onion host starts with DisableNetwork 1), so the
 * first upload is never missed. Waiting for all HSDirs (not the first) spares a client its 404 retries.
 */
export async function onionUploaded(ctl: TorControl, onionAddress: string, timeoutMs: number, start: () => Promise<void>, settleMs = 500): Promise<void> {
  const id = onionAddress.replace(/\.onion$/, '');
  const pending = new Set<string>();
  let stored = 0;
  let lastUpload = 0;
  let unsubscribe: () => void = () => {};
  let settle: NodeJS.Timeout | undefined;
  const uploaded = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new BulkheadError(
            'ERR_TIMEOUT',
            `onion service ${onionAddress}: descriptor not stored after ${timeoutMs} ms (${stored} stored, ${pending.size} pending)`,
          ),
        ),
      timeoutMs,
    );
    timer.unref();
    const check = (): void => {
      clearTimeout(settle);
      if (stored === 0 || pending.size > 0) return;
      settle = setTimeout(() => {
        if (stored > 0 && pending.size === 0 && Date.now() - lastUpload >= settleMs) {
          clearTimeout(timer);
          resolve();
        }
      }, settleMs);
    };
    void ctl
      .onEvents(['HS_DESC'], (ev) => {
        const [, action, addr, , hsdir] = (ev.lines[0]?.text ?? '').split(' ');
        if (addr !== id || !hsdir) return;
        if (action === 'UPLOAD') {
          pending.add(hsdir);
          lastUpload = Date.now();
        } else if (action === 'UPLOADED' || action === 'FAILED') {
          pending.delete(hsdir);
          if (action === 'UPLOADED') stored += 1;
        }
        check();
      })
      .then(
        (u) => {
          unsubscribe = u;
        },
        (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      );
  });
  uploaded.catch(() => {});
  try {
    await start();
    await uploaded;
  } finally {
    clearTimeout(settle);
    unsubscribe();
  }
}
