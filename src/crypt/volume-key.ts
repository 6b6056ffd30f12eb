// An encrypted qube's key file on disk (POOL/NAME/volume-key.json): read, write, change the passphrase.
import { promises as fsp, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BulkheadError } from '../errors/index.js';
import { writeFileAtomic } from '../storage/fsops.js';
import { parseKeyFile, rewrapKeyFile, unwrapMasterKey, type KeyFile } from './keyfile.js';

export const KEY_FILE_NAME = 'volume-key.json';
const MAX_KEY_FILE_BYTES = 64 * 1024;

export const keyFilePath = (volDir: string) => join(volDir, KEY_FILE_NAME);

/** The key file of a qube's volume directory, or null when the qube is not encrypted. */
export async function readKeyFile(volDir: string): Promise<KeyFile | null> {
  const p = keyFilePath(volDir);
  let fh;
  try {
    fh = await fsp.open(p, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.size > MAX_KEY_FILE_BYTES) throw new BulkheadError('ERR_CRYPT', `${p}: not a key file`);
    return parseKeyFile(await fh.readFile('utf8'), p);
  } finally {
    await fh.close();
  }
}

/** The same, synchronously (for building a runtime spec, which needs only the key's identifier). */
export function readKeyFileSync(volDir: string): KeyFile | null {
  const p = keyFilePath(volDir);
  let text: string;
  try {
    text = readFileSync(p, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  if (text.length > MAX_KEY_FILE_BYTES) throw new BulkheadError('ERR_CRYPT', `${p}: not a key file`);
  return parseKeyFile(text, p);
}

/** Write a key file (mode 0600) by rename; the file it replaces is overwritten with zeros first. */
export async function writeKeyFile(volDir: string, f: KeyFile): Promise<void> {
  const p = keyFilePath(volDir);
  // The old file holds the key under the old passphrase: zero its blocks in place so a rename
  // does not leave them in free space (ext4 overwrites a file's blocks in place).
  try {
    const fh = await fsp.open(p, 'r+');
    try {
      const { size } = await fh.stat();
      await fh.write(Buffer.alloc(size), 0, size, 0);
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await writeFileAtomic(p, `${JSON.stringify(f, null, 2)}\n`, 0o600);
}

/** The master key of an encrypted qube (the caller wipes it). Missing passphrase or wrong: ERR_PASSPHRASE. */
export async function unlockVolumeKey(volDir: string, qube: string, passphrase: string | undefined): Promise<{ key: Buffer; file: KeyFile }> {
  const f = await readKeyFile(volDir);
  if (!f) throw new BulkheadError('ERR_CRYPT', `'${qube}' is not encrypted`);
  if (passphrase === undefined) throw new BulkheadError('ERR_PASSPHRASE', `'${qube}' is encrypted: give its passphrase (--passphrase-file FILE)`);
  return { key: await unwrapMasterKey(f, passphrase, `'${qube}'`), file: f };
}

/** Change the passphrase of an encrypted qube: the master key is rewrapped, the data stays as it is. */
export async function changePassphrase(volDir: string, qube: string, oldPassphrase: string, newPassphrase: string): Promise<void> {
  const f = await readKeyFile(volDir);
  if (!f) throw new BulkheadError('ERR_CRYPT', `'${qube}' is not encrypted`);
  await writeKeyFile(volDir, await rewrapKeyFile(f, oldPassphrase, newPassphrase, `'${qube}'`));
}
