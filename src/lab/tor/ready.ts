// Readiness probes of the lab network, read from tor's control port: consensus with microdescriptors, bootstrap, onion upload.
import { BulkheadError } from '../../errors/index.js';
import type { TorControl } from './control.js';

export async function waitUntil<T>(what: string, timeoutMs: number, intervalMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      if (e instanceof BulkheadError && e.code === 'ERR_EXEC') throw e;
      last = e;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? ` (last error: ${last.message})` : '';
      throw new BulkheadError('ERR_TIMEOUT', `${what}: not ready after ${timeoutMs} ms${why}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

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
 * Resolves when an HS_DESC UPLOADED event arrives for the onion address. Subscribe first, then let tor
 * reach the network (the onion host starts with DisableNetwork 1), so the first upload is never missed.
 */
export async function onionUploaded(ctl: TorControl, onionAddress: string, timeoutMs: number, start: () => Promise<void>): Promise<void> {
  const id = onionAddress.replace(/\.onion$/, '');
  let unsubscribe: () => void = () => {};
  const uploaded = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new BulkheadError('ERR_TIMEOUT', `onion service ${onionAddress}: no descriptor uploaded after ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
    void ctl.onEvents(['HS_DESC'], (ev) => {
      const text = ev.lines[0]?.text ?? '';
      if (text.startsWith(`HS_DESC UPLOADED ${id} `)) {
        clearTimeout(timer);
        resolve();
      }
    }).then((u) => { unsubscribe = u; }, (e: Error) => { clearTimeout(timer); reject(e); });
  });
  uploaded.catch(() => {});
  try {
    await start();
    await uploaded;
  } finally {
    unsubscribe();
  }
}
