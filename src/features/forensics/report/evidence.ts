// Opens a state directory's database without writing to it: the database (and its WAL) is copied to a private scratch directory first.
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { copyFileSync, createReadStream, existsSync, lstatSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BulkheadError } from '../../../errors/index.js';
import { resolvePaths } from '../../../daemon/paths.js';

export interface EvidenceFile {
  path: string;
  bytes: number;
  sha256: string;
}

export interface Evidence {
  stateDir: string;
  db: Database.Database;
  /** The scratch copy SQLite opened (for a second, read-only connection). */
  dbPath: string;
  /** The database files as found, with their hashes (taken from what was copied). */
  files: EvidenceFile[];
  close(): void;
}

async function sha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * SQLite writes beside a database it opens (-shm, a replayed or emptied -wal), even read-only, and
 * `immutable` would ignore a WAL that holds the last transactions. So the database and its WAL are
 * copied into a 0700 scratch directory (in /dev/shm when there is one: nothing lands on a disk) and
 * opened there; the scratch copy goes at close. The examined directory is only read.
 */
export async function openEvidence(stateDir: string): Promise<Evidence> {
  const p = resolvePaths(stateDir);
  let st;
  try {
    st = lstatSync(p.db);
  } catch {
    throw new BulkheadError('ERR_INVALID_VALUE', `--state ${stateDir}: no state.db in it (is it a bulkhead state directory?)`);
  }
  if (!st.isFile()) throw new BulkheadError('ERR_INVALID_VALUE', `--state ${stateDir}: state.db is not a regular file`);
  const scratchTop = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const scratch = mkdtempSync(join(scratchTop, 'bulkhead-report-'));
  const files: EvidenceFile[] = [];
  try {
    for (const suffix of ['', '-wal']) {
      const src = `${p.db}${suffix}`;
      let s;
      try {
        s = lstatSync(src);
      } catch {
        continue;
      }
      if (!s.isFile()) throw new BulkheadError('ERR_INVALID_VALUE', `--state ${stateDir}: state.db${suffix} is not a regular file`);
      const dst = join(scratch, `state.db${suffix}`);
      copyFileSync(src, dst);
      // Hash the copy: it is what the report is made from.
      files.push({ path: src, bytes: s.size, sha256: await sha256(dst) });
    }
    // Opened writable so SQLite replays the WAL into the scratch copy; nothing is ever written back.
    const db = new Database(join(scratch, 'state.db'), { fileMustExist: true });
    db.pragma('query_only = ON');
    return {
      stateDir: p.home,
      db,
      files,
      dbPath: join(scratch, 'state.db'),
      close() {
        try {
          db.close();
        } finally {
          rmSync(scratch, { recursive: true, force: true });
        }
      },
    };
  } catch (e) {
    rmSync(scratch, { recursive: true, force: true });
    if (e instanceof BulkheadError) throw e;
    throw new BulkheadError('ERR_INVALID_VALUE', `--state ${stateDir}: cannot open state.db: ${(e as Error).message}`, { cause: e });
  }
}
