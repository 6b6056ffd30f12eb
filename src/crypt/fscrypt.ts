// ext4 native encryption (fscrypt v2) of a mounted volume image, through native/bh-fscrypt: add, check and remove keys.
import { BulkheadError } from '../errors/index.js';
import { run } from '../exec/index.js';
import { NATIVE_BUILD } from '../native/paths.js';

const helper = () => `${NATIVE_BUILD}/bh-fscrypt`;

/** The directory inside an encrypted image that holds the volume's data (ext4 refuses to encrypt its root directory, which holds lost+found). */
export const ENCRYPTED_SUBDIR = 'crypt';

/** mkfs.ext4 options that make an image able to hold encrypted directories. */
export const MKFS_ENCRYPT_OPTIONS = ['-O', 'encrypt'];

async function helperRun(args: string[], input?: Buffer): Promise<{ code: number; stdout: string; why: string }> {
  const r = await run(helper(), args, { timeoutMs: 30_000, allowFail: true, input });
  return { code: r.code, stdout: r.stdout.trim(), why: r.stderr.trim().split('\n').pop() || `exit ${r.code}` };
}

/**
 * Give the kernel `key` for the file system mounted at `mountDir` (stdin of the helper, never its
 * argv). Returns the identifier the kernel computed; it must be `expectId` when given.
 */
export async function addKey(mountDir: string, key: Buffer, expectId?: string): Promise<string> {
  const r = await helperRun(['add', mountDir], key);
  if (r.code === 5)
    throw new BulkheadError('ERR_CRYPT', `${mountDir}: the file system cannot hold encrypted files (no ext4 'encrypt' feature, or a kernel without fscrypt)`);
  if (r.code !== 0) throw new BulkheadError('ERR_CRYPT', `adding the key to ${mountDir}: ${r.why}`);
  if (!/^[0-9a-f]{32}$/.test(r.stdout))
    throw new BulkheadError('ERR_CRYPT', `adding the key to ${mountDir}: unexpected answer ${JSON.stringify(r.stdout.slice(0, 80))}`);
  if (expectId !== undefined && r.stdout !== expectId) {
    await removeKey(mountDir, r.stdout).catch(() => undefined);
    throw new BulkheadError('ERR_CRYPT', `${mountDir}: the kernel named the key ${r.stdout}, the key file says ${expectId}`);
  }
  return r.stdout;
}

/** Make the empty directory `dir` encrypted with key `keyId` (already added to its file system). */
export async function setPolicy(dir: string, keyId: string): Promise<void> {
  const r = await helperRun(['policy', dir, keyId]);
  if (r.code !== 0) throw new BulkheadError('ERR_CRYPT', `encrypting ${dir}: ${r.why}`);
}

/** Refuse a directory that is not encrypted with `keyId` (an image whose data directory was replaced must not start in plaintext). */
export async function checkPolicy(dir: string, keyId: string): Promise<void> {
  const r = await helperRun(['check', dir, keyId]);
  if (r.code !== 0) throw new BulkheadError('ERR_CRYPT', `${dir} is not encrypted with this qube's key: ${r.why}`);
}

/**
 * Remove key `keyId` from the file system mounted at `mountDir`: the kernel wipes its copy. Files
 * still open stay readable until closed (busy: returns false); nothing mounted there is no error.
 */
export async function removeKey(mountDir: string, keyId: string): Promise<boolean> {
  const r = await helperRun(['remove', mountDir, keyId]);
  if (r.code === 0) return true;
  if (r.code === 6) return false;
  // Not mounted (the directory is on a file system without encryption) or gone: no key there.
  if (r.code === 3 || r.code === 5) return true;
  throw new BulkheadError('ERR_CRYPT', `removing the key from ${mountDir}: ${r.why}`);
}
