// Worker thread: verifies the audit chain of a database copy on its own connection, beside the thread that formats the timeline.
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import type { Anchor } from './chain.js';
import { walkChain } from './report.js';

const { dbPath, anchor } = workerData as { dbPath: string; anchor?: Anchor };
const db = new Database(dbPath, { readonly: true, fileMustExist: true });
try {
  parentPort!.postMessage({ ok: true, chain: walkChain(db, anchor) });
} catch (e) {
  parentPort!.postMessage({ ok: false, error: (e as Error).message });
} finally {
  db.close();
}
