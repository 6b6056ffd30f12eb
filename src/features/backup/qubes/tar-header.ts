// One 512-byte tar header (ustar, GNU, pax) and pax extended records, read from untrusted bytes (pure).
import { fail } from './errors.js';

export const BLOCK = 512;
/** Largest member size accepted (a private.img of MAX_VOLUME_BYTES, wrapped, stays below it). */
export const MAX_MEMBER_BYTES = 2 ** 46;
/** Largest pax extended header read (Qubes' hold a few short records). */
export const MAX_PAX_BYTES = 64 * 1024;

export interface TarHeader {
  name: string;
  /** '0' regular file (also '\0'), '5' directory, 'x'/'g' pax, 'L' GNU long name, others refused by the callers. */
  type: string;
  size: number;
  mode: number;
}

function field(b: Buffer, off: number, len: number): Buffer {
  const f = b.subarray(off, off + len);
  const nul = f.indexOf(0);
  return nul >= 0 ? f.subarray(0, nul) : f;
}

function octal(b: Buffer, off: number, len: number, what: string, where: string): number {
  const raw = b.subarray(off, off + len);
  if (raw[0]! & 0x80) {
    // GNU base-256: big-endian, the first byte's top bit is the marker (negative values refused).
    if (raw[0] !== 0x80) fail(where, `tar ${what} is out of range`);
    let v = 0;
    for (const x of raw.subarray(1)) {
      v = v * 256 + x;
      if (v > MAX_MEMBER_BYTES) fail(where, `tar ${what} is out of range`);
    }
    return v;
  }
  const text = field(b, off, len).toString('latin1').trim();
  if (text === '') return 0;
  if (!/^[0-7]{1,12}$/.test(text)) fail(where, `tar ${what} '${text.slice(0, 16)}' is not an octal number`);
  return parseInt(text, 8);
}

/** Whether a block is all zeros (end of an archive; Qubes' outer tar holds several, one per member). */
export function isZeroBlock(b: Buffer): boolean {
  for (const x of b) if (x !== 0) return false;
  return true;
}

/** Parse a header block (not a zero block); checks the checksum and the magic. */
export function parseTarHeader(untrusted: Buffer, where: string): TarHeader {
  if (untrusted.length !== BLOCK) fail(where, 'truncated tar header');
  const stored = octal(untrusted, 148, 8, 'checksum', where);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : untrusted[i]!;
  if (sum !== stored) fail(where, 'tar header checksum does not match');
  const magic = untrusted.subarray(257, 263).toString('latin1');
  if (magic !== 'ustar\0' && magic !== 'ustar ') fail(where, 'not a ustar, GNU or pax tar header');
  let name = field(untrusted, 0, 100).toString('utf8');
  const prefix = magic === 'ustar\0' ? field(untrusted, 345, 155).toString('utf8') : '';
  if (prefix) name = `${prefix}/${name}`;
  const size = octal(untrusted, 124, 12, 'size', where);
  if (size > MAX_MEMBER_BYTES) fail(where, 'tar member is too large');
  const t = untrusted[156]!;
  return { name, type: t === 0 ? '0' : String.fromCharCode(t), size, mode: octal(untrusted, 100, 8, 'mode', where) };
}

/** Records of a pax extended header (`LEN KEY=VALUE\n`, LEN counting the whole record). */
export function parsePax(untrusted: Buffer, where: string): Map<string, string> {
  if (untrusted.length > MAX_PAX_BYTES) fail(where, 'pax header is too large');
  const out = new Map<string, string>();
  let i = 0;
  while (i < untrusted.length) {
    if (untrusted[i] === 0) break;
    const sp = untrusted.indexOf(0x20, i);
    if (sp < 0 || sp - i > 8) fail(where, 'malformed pax record length');
    const lenText = untrusted.subarray(i, sp).toString('latin1');
    if (!/^[1-9][0-9]*$/.test(lenText)) fail(where, 'malformed pax record length');
    const len = Number(lenText);
    const end = i + len;
    if (end > untrusted.length || untrusted[end - 1] !== 0x0a) fail(where, 'pax record overruns its header');
    const rec = untrusted.subarray(sp + 1, end - 1).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq <= 0) fail(where, 'pax record without key=value');
    out.set(rec.slice(0, eq), rec.slice(eq + 1));
    i = end;
  }
  return out;
}

/** Bytes a member's data takes in the archive (padded to whole blocks). */
export function paddedSize(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

/** A member name as a safe relative path: no absolute path, no `.`/`..`, no empty component. */
export function checkMemberName(untrusted: string, where: string): string {
  const n = untrusted.startsWith('./') ? untrusted.slice(2) : untrusted;
  if (n.length === 0 || n.length > 1024) fail(where, 'tar member name is empty or too long');
  if (!/^[A-Za-z0-9._+-]+(\/[A-Za-z0-9._+-]+)*\/?$/.test(n)) fail(where, `tar member name '${n.slice(0, 80)}' holds characters outside [A-Za-z0-9._+-/]`);
  for (const c of n.replace(/\/$/, '').split('/')) if (c === '.' || c === '..') fail(where, `tar member name '${n.slice(0, 80)}' has a '${c}' component`);
  return n;
}
