// Which backed-up files a Qubes v4 archive holds and their chunks, in order: a missing, doubled or reordered chunk is refused (pure).
import { fail } from './errors.js';
import { HEADER_NAME } from './header.js';
import type { OuterMember } from './outer-tar.js';

export interface Chunk extends OuterMember {
  /** The chunk's name without `.enc`, as bound into its passphrase (`vm3/private.img.002`). */
  plainName: string;
  index: number;
}

export interface BackupLayout {
  header: OuterMember;
  headerHmac: OuterMember;
  /** Backed-up file (`qubes.xml`, `vm3/private.img`, `vm3/firewall.xml`) → its chunks in order. */
  files: Map<string, Chunk[]>;
}

const CHUNK_RE = /^(.+)\.([0-9]{3,6})\.enc$/;

export function layoutOf(members: OuterMember[], archiveName = 'archive'): BackupLayout {
  const header = members.find((m) => m.name === HEADER_NAME);
  const headerHmac = members.find((m) => m.name === `${HEADER_NAME}.hmac`);
  if (!header) fail(archiveName, `has no ${HEADER_NAME} (not a Qubes backup of format 3 or 4)`);
  if (!headerHmac) fail(archiveName, `has no ${HEADER_NAME}.hmac`);
  const files = new Map<string, Chunk[]>();
  let previous: string | null = null;
  for (const m of members) {
    if (m === header || m === headerHmac) continue;
    const match = CHUNK_RE.exec(m.name);
    if (!match) fail(m.name, 'is neither the header nor an encrypted chunk (NAME.NNN.enc)');
    const [, file, num] = match as unknown as [string, string, string];
    const index = Number(num);
    if (num.length > 3 && num.startsWith('0')) fail(m.name, 'chunk number has a leading zero beyond three digits');
    const list = files.get(file) ?? [];
    if (list.length > 0 && previous !== file) fail(m.name, `chunks of ${file} are not contiguous in the archive (another file's chunk lies between)`);
    const expected = list.length;
    if (index !== expected) {
      fail(
        m.name,
        index < expected
          ? `comes after chunk ${String(list[list.length - 1]!.index).padStart(3, '0')} of ${file} (reordered or doubled)`
          : `chunk ${file}.${String(expected).padStart(3, '0')}.enc is missing before it (dropped or reordered)`,
      );
    }
    list.push({ ...m, plainName: m.name.slice(0, -'.enc'.length), index });
    files.set(file, list);
    previous = file;
  }
  return { header, headerHmac, files };
}
