// Copies a file or device to a new file in large blocks, hashing every byte (SHA-256) and leaving zero blocks as holes.
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';

const BLOCK = 16 * 1024 * 1024;
const ZERO = Buffer.alloc(BLOCK);

export interface Copied {
  bytes: number;
  sha256: string;
}

/** `src` → `dst` (created, must not exist, mode 0600). The copy is sparse where the source reads as zeros. */
export async function copyHashed(src: string, dst: string): Promise<Copied> {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(BLOCK);
  const inp = await fsp.open(src, 'r');
  try {
    const out = await fsp.open(dst, 'wx', 0o600);
    try {
      let pos = 0;
      for (;;) {
        const { bytesRead } = await inp.read(buf, 0, BLOCK, pos);
        if (bytesRead === 0) break;
        const chunk = buf.subarray(0, bytesRead);
        hash.update(chunk);
        if (!chunk.equals(ZERO.subarray(0, bytesRead))) await out.write(chunk, 0, bytesRead, pos);
        pos += bytesRead;
      }
      await out.truncate(pos);
      await out.sync();
      return { bytes: pos, sha256: hash.digest('hex') };
    } finally {
      await out.close();
    }
  } finally {
    await inp.close();
  }
}

/** SHA-256 and length of a file written by another program. */
export async function hashFile(path: string): Promise<Copied> {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(BLOCK);
  const fh = await fsp.open(path, 'r');
  try {
    let pos = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, BLOCK, pos);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
    return { bytes: pos, sha256: hash.digest('hex') };
  } finally {
    await fh.close();
  }
}
