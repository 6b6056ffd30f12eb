// Index of the outer archive of a Qubes backup: one tar per member, concatenated (`tar -i` reads it), members by name and offset (pure).
import { fail } from './errors.js';
import { BLOCK, checkMemberName, isZeroBlock, paddedSize, parsePax, parseTarHeader, MAX_PAX_BYTES } from './tar-header.js';

export interface OuterMember {
  name: string;
  /** Offset of the member's data in the archive file. */
  offset: number;
  size: number;
}

/** Reads `length` bytes at `offset` (fewer only at the end of the file). */
export type ReadAt = (offset: number, length: number) => Buffer;

export const MAX_MEMBERS = 1_000_000;

/** List the regular files of the archive in order; refuses truncation, duplicates and unexpected member types. */
export function indexOuterTar(read: ReadAt, fileSize: number, archiveName = 'archive'): OuterMember[] {
  const out: OuterMember[] = [];
  const seen = new Set<string>();
  let pax: Map<string, string> | null = null;
  let longName: string | null = null;
  let off = 0;
  while (off + BLOCK <= fileSize) {
    const block = read(off, BLOCK);
    if (block.length < BLOCK) fail(archiveName, `truncated at offset ${off}`);
    if (isZeroBlock(block)) {
      off += BLOCK;
      continue;
    }
    const where = `${archiveName} (tar header at offset ${off})`;
    const h = parseTarHeader(block, where);
    const dataOff = off + BLOCK;
    const size = h.type === '0' && pax?.has('size') ? paxSize(pax.get('size')!, where) : h.size;
    if (dataOff + size > fileSize) fail(where, `member '${h.name.slice(0, 80)}' is truncated (the archive ends inside it)`);
    const next = dataOff + paddedSize(size);
    if (h.type === 'x' || h.type === 'g' || h.type === 'L') {
      if (size > MAX_PAX_BYTES) fail(where, 'extended header is too large');
      const data = read(dataOff, size);
      if (h.type === 'x') pax = parsePax(data, where);
      if (h.type === 'L') longName = data.toString('utf8').replace(/\0+$/, '');
    } else if (h.type === '0' || h.type === '5') {
      const name = checkMemberName(pax?.get('path') ?? longName ?? h.name, where);
      if (h.type === '0') {
        if (seen.has(name)) fail(where, `member '${name}' appears twice`);
        seen.add(name);
        out.push({ name, offset: dataOff, size });
        if (out.length > MAX_MEMBERS) fail(archiveName, `more than ${MAX_MEMBERS} members`);
      }
      pax = null;
      longName = null;
    } else {
      fail(where, `member '${h.name.slice(0, 80)}' has tar type '${h.type}' (only files belong in a Qubes backup)`);
    }
    off = next;
  }
  if (off < fileSize && !isZeroBlock(read(off, fileSize - off).subarray(0, BLOCK))) fail(archiveName, `truncated: ${fileSize - off} stray bytes at the end`);
  return out;
}

function paxSize(v: string, where: string): number {
  if (!/^[0-9]{1,15}$/.test(v)) fail(where, `pax size '${v.slice(0, 20)}' is not a number`);
  return Number(v);
}
