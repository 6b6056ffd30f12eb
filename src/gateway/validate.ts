// Field checks shared by the gateway generators: each error names the field and what is wrong.
import { BulkheadError } from '../errors/index.js';

export function bad(field: string, msg: string): BulkheadError {
  return new BulkheadError('ERR_INVALID_VALUE', `${field}: ${msg}`, { field });
}

/** A value that goes into a generated config: a string with no control characters (no line injection). */
export function safeText(field: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) throw bad(field, 'must be a non-empty string');
  if (/[\x00-\x1f\x7f]/.test(v)) throw bad(field, 'must not contain control characters or line breaks');
  return v;
}

export function ipv4(field: string, v: unknown): string {
  const s = safeText(field, v);
  const parts = s.split('.');
  const ok = parts.length === 4 && parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
  if (!ok) throw bad(field, `'${s}' is not an IPv4 address`);
  return s;
}

/** Linux interface names: 1–15 characters, no slash, no whitespace, not '.' or '..'. */
export function ifname(field: string, v: unknown): string {
  const s = safeText(field, v);
  if (s.length > 15 || !/^[A-Za-z0-9_.@-]+$/.test(s) || s === '.' || s === '..') {
    throw bad(field, `'${s}' is not a valid interface name (1-15 of A-Z a-z 0-9 _ . @ -)`);
  }
  return s;
}

export function port(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535) throw bad(field, 'must be an integer port 1-65535');
  return v;
}

/** An absolute path without spaces or quotes, written into torrc unquoted. */
export function absPath(field: string, v: unknown): string {
  const s = safeText(field, v);
  if (!s.startsWith('/')) throw bad(field, `'${s}' must be an absolute path`);
  if (/[\s"'\\#]/.test(s)) throw bad(field, `'${s}' must not contain spaces, quotes, backslashes or '#'`);
  return s;
}

/** A name used in nft identifiers and comments. */
export function ident(field: string, v: unknown): string {
  const s = safeText(field, v);
  if (!/^[A-Za-z][A-Za-z0-9_.-]{0,30}$/.test(s)) throw bad(field, `'${s}' must be a letter then up to 30 of A-Z a-z 0-9 _ . -`);
  return s;
}

export function uid(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xfffffffe) throw bad(field, 'must be a numeric uid');
  return v;
}
