// Keys and sealing of a backup: one scrypt per backup, HKDF for the header and record keys, AES-256-GCM per record (node:crypto only).
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { BulkheadError } from '../../errors/index.js';
import { BACKUP_ID_BYTES, HEADER_BODY_BYTES, SALT_BYTES, TAG_BYTES, nonceFor, scryptMemory, type BackupHeader, type ScryptParams } from './format.js';

export interface BackupKeys {
  /** Encrypts and authenticates every record. */
  record: Buffer;
  /** Authenticates the header (and so tells a wrong passphrase before any record is read). */
  header: Buffer;
}

function scryptAsync(pass: Buffer, salt: Buffer, p: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(pass, salt, 32, { N: 2 ** p.log2N, r: p.r, p: p.p, maxmem: scryptMemory(p) + (1 << 20) }, (e, k) => (e ? reject(e) : resolve(k)));
  });
}

/** The one key derivation of a backup: scrypt(passphrase, salt), then HKDF-SHA256 with the backup id for two separate keys. */
export async function deriveKeys(passphrase: string, h: { salt: Buffer; backupId: Buffer; scrypt: ScryptParams }): Promise<BackupKeys> {
  if (passphrase.length === 0) throw new BulkheadError('ERR_BACKUP_PASSPHRASE', 'the passphrase is empty');
  const master = await scryptAsync(Buffer.from(passphrase, 'utf8'), h.salt, h.scrypt);
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', master, h.backupId, info, 32));
  const keys = { record: derive('bulkhead-backup-v1 record key'), header: derive('bulkhead-backup-v1 header key') };
  master.fill(0);
  return keys;
}

export function freshIds(): { backupId: Buffer; salt: Buffer } {
  return { backupId: randomBytes(BACKUP_ID_BYTES), salt: randomBytes(SALT_BYTES) };
}

export function headerMac(keys: BackupKeys, body: Buffer): Buffer {
  if (body.length !== HEADER_BODY_BYTES) throw new BulkheadError('ERR_INTERNAL', 'header body has the wrong length');
  return createHmac('sha256', keys.header).update(body).digest();
}

/** A wrong passphrase and an altered header look the same: both give a different MAC. */
export function checkHeaderMac(keys: BackupKeys, h: BackupHeader): void {
  const want = headerMac(keys, h.body);
  if (!timingSafeEqual(want, h.mac)) {
    throw new BulkheadError('ERR_BACKUP_PASSPHRASE', "wrong passphrase (or the backup's header was altered): nothing was read");
  }
}

/** Encrypt one record: ciphertext followed by its 16-byte tag. */
export function seal(keys: BackupKeys, seq: bigint, aad: Buffer, plain: Buffer): Buffer[] {
  const c = createCipheriv('aes-256-gcm', keys.record, nonceFor(seq), { authTagLength: TAG_BYTES });
  c.setAAD(aad);
  const body = c.update(plain);
  const fin = c.final();
  return fin.length ? [body, fin, c.getAuthTag()] : [body, c.getAuthTag()];
}

/** Decrypt and authenticate one record; null when its tag does not match. */
export function open(keys: BackupKeys, seq: bigint, aad: Buffer, sealed: Buffer): Buffer | null {
  if (sealed.length < TAG_BYTES) return null;
  const d = createDecipheriv('aes-256-gcm', keys.record, nonceFor(seq), { authTagLength: TAG_BYTES });
  d.setAAD(aad);
  d.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  const plain = d.update(sealed.subarray(0, sealed.length - TAG_BYTES));
  try {
    d.final();
  } catch {
    plain.fill(0);
    return null;
  }
  return plain;
}
