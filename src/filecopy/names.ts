// Validation of names and symlink targets in a file-copy stream, the same rules as Qubes' unpacker.
import { ALLOWED_RANGES } from './unicode-table.js';

/** True if the code point may appear in a copied file name (allowlist, binary search). */
export function codePointAllowed(cp: number): boolean {
  let lo = 0;
  let hi = ALLOWED_RANGES.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const first = ALLOWED_RANGES[mid * 2]!;
    const last = ALLOWED_RANGES[mid * 2 + 1]!;
    if (cp < first) hi = mid - 1;
    else if (cp > last) lo = mid + 1;
    else return true;
  }
  return false;
}

/** Length of the UTF-8 character at `i` if it is well formed and allowed, else 0. */
function charLength(b: Uint8Array, i: number): number {
  const c = b[i]!;
  if (c >= 0x20 && c <= 0x7e) return 1;
  let tails: number;
  let cp: number;
  let secondMin = 0x80;
  let secondMax = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) {
    tails = 1;
    cp = c & 0x1f;
  } else if (c === 0xe0) {
    tails = 2;
    cp = 0;
    secondMin = 0xa0;
  } else if (c >= 0xe1 && c <= 0xef) {
    tails = 2;
    cp = c & 0x0f;
  } else if (c === 0xf0) {
    tails = 3;
    cp = 0;
    secondMin = 0x90;
  } else if (c >= 0xf1 && c <= 0xf4) {
    tails = 3;
    cp = c & 0x07;
  } else return 0; // control, DEL, stray continuation, overlong lead, or > U+13FFFF lead
  for (let k = 1; k <= tails; k++) {
    const t = b[i + k];
    if (t === undefined) return 0;
    const min = k === 1 ? secondMin : 0x80;
    const max = k === 1 ? secondMax : 0xbf;
    if (t < min || t > max) return 0;
    cp = (cp << 6) | (t & 0x3f);
  }
  return codePointAllowed(cp) ? tails + 1 : 0;
}

/**
 * Checks a relative path: no empty, absolute, `//`, trailing `/`, `.` or `..` components (up to
 * `leadingDotdot` `..` components are allowed at the very start), every character allowed.
 * Returns the number of components that are not `..`; 0 means invalid.
 */
export function validatePath(untrusted: Uint8Array, leadingDotdot = 0): number {
  if (untrusted.length === 0) return 0;
  let allowance = leadingDotdot;
  let normal = 0;
  let start = 0;
  while (start <= untrusted.length) {
    let end = untrusted.indexOf(0x2f, start);
    if (end < 0) end = untrusted.length;
    const len = end - start;
    if (len === 0) return 0; // leading, doubled or trailing slash
    const dot1 = untrusted[start] === 0x2e;
    if (dot1 && len === 1) return 0; // "."
    if (dot1 && len === 2 && untrusted[start + 1] === 0x2e) {
      if (allowance < 1) return 0; // ".." beyond what is allowed, or after a normal component
      allowance--;
    } else {
      allowance = 0;
      normal++;
      for (let i = start; i < end;) {
        const n = charLength(untrusted, i);
        if (n === 0 || i + n > end) return 0;
        i += n;
      }
    }
    start = end + 1;
  }
  return normal;
}

/** A valid name for a file, directory or symlink in the stream. */
export function validFileName(untrusted: Uint8Array): boolean {
  return validatePath(untrusted, 0) > 0;
}

/**
 * A symlink needs at least two components in its name, and its target may climb at most
 * (depth - 2) levels with leading `..`, so it never points outside the top-level directory it
 * arrived in.
 */
export function validSymlink(untrustedName: Uint8Array, untrustedTarget: Uint8Array): boolean {
  const depth = validatePath(untrustedName, 0);
  if (depth < 2) return false;
  return validatePath(untrustedTarget, depth - 2) > 0;
}
