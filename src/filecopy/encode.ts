// Builds a file-copy stream from a list of entries (tests, crafted streams, the admin side).
import { encodeHeader, S_IFDIR, S_IFLNK, S_IFREG, type FileHeader } from './format.js';

type Bytes = string | Uint8Array;

export type Entry =
  | { kind: 'file'; name: Bytes; data: Uint8Array; mode?: number; mtime?: number }
  | { kind: 'dir'; name: Bytes; mode?: number; mtime?: number }
  | { kind: 'symlink'; name: Bytes; target: Bytes }
  /** Anything at all, for crafting hostile streams: a header, the raw name field and a body. */
  | { kind: 'raw'; header: Partial<FileHeader>; nameField: Uint8Array; body?: Uint8Array };

const utf8 = new TextEncoder();
const bytes = (b: Bytes): Uint8Array => (typeof b === 'string' ? utf8.encode(b) : b);

function nameField(name: Bytes): Uint8Array {
  const n = bytes(name);
  const f = new Uint8Array(n.length + 1);
  f.set(n);
  return f;
}

function header(h: Partial<FileHeader>): Uint8Array {
  return encodeHeader({ namelen: 0, mode: 0, filelen: 0n, atime: 0, atimeNsec: 0, mtime: 0, mtimeNsec: 0, ...h });
}

/** The bytes of one entry: header, name with its NUL, then data or symlink target. */
export function encodeEntry(e: Entry): Uint8Array[] {
  switch (e.kind) {
    case 'file': {
      const f = nameField(e.name);
      const m = e.mtime ?? 0;
      return [header({ namelen: f.length, mode: S_IFREG | (e.mode ?? 0o644), filelen: BigInt(e.data.length), atime: m, mtime: m }), f, e.data];
    }
    case 'dir': {
      const f = nameField(e.name);
      const m = e.mtime ?? 0;
      return [header({ namelen: f.length, mode: S_IFDIR | (e.mode ?? 0o755), atime: m, mtime: m }), f];
    }
    case 'symlink': {
      const f = nameField(e.name);
      const t = bytes(e.target);
      return [header({ namelen: f.length, mode: S_IFLNK | 0o777, filelen: BigInt(t.length) }), f, t];
    }
    case 'raw':
      return [header({ namelen: e.nameField.length, ...e.header }), e.nameField, e.body ?? new Uint8Array(0)];
  }
}

/** The end-of-transfer marker: a header whose namelen is 0. */
export function endMarker(): Uint8Array {
  return header({});
}

/** A whole stream: every entry, then (unless `end` is false) the end marker. */
export function encodeStream(entries: readonly Entry[], opts: { end?: boolean } = {}): Uint8Array {
  const parts = entries.flatMap(encodeEntry);
  if (opts.end !== false) parts.push(endMarker());
  const total = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
