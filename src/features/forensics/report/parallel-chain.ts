// Runs the chain walk in a worker thread (a second core verifies while the first formats), or inline where workers cannot start.
import type Database from 'better-sqlite3';
import { Worker } from 'node:worker_threads';
import type { Anchor, ChainResult } from './chain.js';
import { walkChain } from './report.js';

/** The chain's result, walked on another thread over its own read-only connection to `dbPath`. */
export function chainInWorker(dbPath: string, anchor: Anchor | undefined, fallback: Database.Database): Promise<ChainResult> {
  const ts = import.meta.url.endsWith('.ts');
  let w: Worker;
  try {
    if (ts) {
      // Under tsx (tests) the worker is TypeScript too: it loads tsx's loader first, then the worker file.
      const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(new URL('./chain-worker.ts', import.meta.url).href)}); })`;
      w = new Worker(boot, { eval: true, workerData: { dbPath, anchor } });
    } else {
      w = new Worker(new URL('./chain-worker.js', import.meta.url), { workerData: { dbPath, anchor } });
    }
  } catch {
    return Promise.resolve(walkChain(fallback, anchor));
  }
  return new Promise((resolve, reject) => {
    w.once('message', (m: { ok: boolean; chain?: ChainResult; error?: string }) => {
      if (m.ok && m.chain) resolve(m.chain);
      else reject(new Error(`audit chain walk failed: ${m.error ?? 'no result'}`));
    });
    w.once('error', reject);
    w.once('exit', (code) => {
      if (code !== 0) reject(new Error(`audit chain worker exited ${code}`));
    });
  });
}
