// The `backup-header` of a Qubes OS backup (key=value lines), read as Qubes' restore reads it (pure).
import { fail } from './errors.js';

export const HEADER_NAME = 'backup-header';
/** Qubes refuses a header or its hmac file larger than this. */
export const MAX_HEADER_BYTES = 4096;

export interface BackupHeader {
  version: 4;
  encrypted: boolean;
  compressed: boolean;
  /** Program the inner archives went through (Qubes: `gzip` by default); null when not compressed. */
  compressionFilter: string | null;
  hmacAlgorithm: string;
  cryptoAlgorithm: string | null;
  /** Bound into every chunk's passphrase (`ID!NAME!PASSPHRASE`). */
  backupId: string;
}

const TOKEN_RE = /^[A-Za-z0-9-]*$/;
const KEYS = ['version', 'encrypted', 'compressed', 'compression-filter', 'crypto-algorithm', 'hmac-algorithm', 'backup-id'] as const;
type Key = (typeof KEYS)[number];

/**
 * Parse a header. Like Qubes: ASCII only, one `=` per line, keys and values of letters, digits
 * and `-`, unknown keys ignored, a repeated key refused. Only format version 4 is accepted here
 * (Qubes R4.x); its chunks are always scrypt files, whatever `encrypted` says.
 */
export function parseBackupHeader(untrusted: Buffer): BackupHeader {
  if (untrusted.length > MAX_HEADER_BYTES) fail(HEADER_NAME, `larger than ${MAX_HEADER_BYTES} bytes`);
  for (const b of untrusted) if (b > 0x7f) fail(HEADER_NAME, 'holds a non-ASCII byte');
  const seen = new Map<Key, string>();
  const lines = untrusted.toString('ascii').split(/\r?\n/);
  lines.forEach((untrustedLine, i) => {
    if (untrustedLine === '' && i === lines.length - 1) return;
    const where = `${HEADER_NAME} line ${i + 1}`;
    if (untrustedLine.split('=').length !== 2) fail(where, 'is not one key=value');
    const [k, v] = untrustedLine.trim().split('=') as [string, string];
    if (!TOKEN_RE.test(k)) fail(where, `key '${k}' holds characters other than letters, digits and '-'`);
    if (!(KEYS as readonly string[]).includes(k)) return;
    if (!TOKEN_RE.test(v)) fail(where, `value of ${k} holds characters other than letters, digits and '-'`);
    if (seen.has(k as Key)) fail(where, `${k} is given twice`);
    seen.set(k as Key, v);
  });
  const need = (k: Key): string => {
    const v = seen.get(k);
    if (v === undefined) fail(HEADER_NAME, `lacks ${k}`);
    return v;
  };
  const bool = (k: Key) => ['1', 'true', 'yes'].includes(need(k).toLowerCase());
  const version = need('version');
  if (version !== '4') fail(HEADER_NAME, `format version ${version} is not supported (only 4, Qubes R4.x)`);
  const compressed = bool('compressed');
  const hmacAlgorithm = need('hmac-algorithm');
  if (hmacAlgorithm !== 'scrypt') fail(HEADER_NAME, `hmac-algorithm ${hmacAlgorithm} is not scrypt (format 4 protects every file with scrypt)`);
  const backupId = need('backup-id');
  if (backupId === '') fail(HEADER_NAME, 'backup-id is empty');
  return {
    version: 4,
    encrypted: bool('encrypted'),
    compressed,
    compressionFilter: compressed ? need('compression-filter') : null,
    hmacAlgorithm,
    cryptoAlgorithm: seen.get('crypto-algorithm') ?? null,
    backupId,
  };
}

/** Passphrase of `backup-header.hmac` (an scrypt file holding the header itself). */
export function headerPassphrase(passphrase: string): string {
  return `${HEADER_NAME}!${passphrase}`;
}

/** Passphrase of one chunk: the backup id and the chunk's name (without `.enc`) are bound into it. */
export function chunkPassphrase(backupId: string, chunkName: string, passphrase: string): string {
  return `${backupId}!${chunkName}!${passphrase}`;
}
