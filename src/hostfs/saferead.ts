// Reading a file below a root a qube controls, through native/bh-saferead (openat2, no symlink ever followed).
import { fileURLToPath } from 'node:url';
import { BulkheadError } from '../errors/index.js';
import { runSync } from '../exec/index.js';

const DEFAULT_NATIVE = fileURLToPath(new URL('../../native/build', import.meta.url));

/** Why a safe read gave no bytes; `missing` is the one callers usually tolerate. */
export type SafeReadRefusal = 'missing' | 'symlink' | 'not-a-file' | 'too-large' | 'error';

/** bh-saferead's exit codes (see native/bh-saferead.c). */
const REFUSALS: Record<number, SafeReadRefusal> = { 3: 'missing', 4: 'symlink', 5: 'not-a-file', 6: 'too-large' };

export type SafeReadResult = { ok: true; data: Buffer } | { ok: false; why: SafeReadRefusal; message: string };

export function saferead(nativeDir = process.env.BULKHEAD_NATIVE_DIR ?? DEFAULT_NATIVE): string {
  return `${nativeDir}/bh-saferead`;
}

/**
 * The bytes of ROOT/REL, where ROOT is a directory a qube can change (its merged root, an upper
 * layer, its private volume). REL is resolved inside ROOT with no symlink, no `..` above ROOT and
 * no mount crossing; it must be a regular file of at most `maxBytes`. Never throws for a refusal:
 * the caller decides what a missing or refused file means.
 */
export function safeReadFileSync(root: string, rel: string, maxBytes: number): SafeReadResult {
  const r = runSync(saferead(), [root, rel.replace(/^\/+/, ''), String(maxBytes)], { timeoutMs: 10_000, maxBuffer: maxBytes + 1 });
  if (r.code === 0) return { ok: true, data: r.stdout };
  const message = r.stderr.trim().split('\n').pop() || `bh-saferead exited ${r.code}`;
  if (r.code === 2) throw new BulkheadError('ERR_INTERNAL', message);
  return { ok: false, why: REFUSALS[r.code] ?? 'error', message };
}
