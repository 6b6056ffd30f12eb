// tor's HashedControlPassword (OpenPGP iterated and salted S2K over SHA-1) and the admin's random control password.
import { createHash, randomBytes } from 'node:crypto';
import { bad } from './validate.js';

/** tor's count indicator: (16 + (c & 15)) << ((c >> 4) + 6) bytes hashed; 0x60 = 65536, what `tor --hash-password` uses. */
export const S2K_COUNT_INDICATOR = 0x60;
const SALT_LEN = 8;
/** `16:` + hex(8-byte salt, 1-byte indicator, 20-byte SHA-1), upper case as tor prints it. */
export const HASHED_PASSWORD_RE = /^16:[0-9A-F]{58}$/;

/** A fresh control password: 32 random bytes as hex (the admin keeps it; tor gets only its hash). */
export function newControlPassword(): string {
  return randomBytes(32).toString('hex');
}

/** The value of `HashedControlPassword` for `password`; `salt` (8 bytes) is random unless given (tests). */
export function hashControlPassword(password: string, salt: Buffer = randomBytes(SALT_LEN)): string {
  if (salt.length !== SALT_LEN) throw bad('salt', `must be ${SALT_LEN} bytes`);
  const c = S2K_COUNT_INDICATOR;
  let count = (16 + (c & 15)) << ((c >> 4) + 6);
  const block = Buffer.concat([salt, Buffer.from(password, 'utf8')]);
  const h = createHash('sha1');
  while (count > 0) {
    const n = Math.min(count, block.length);
    h.update(n === block.length ? block : block.subarray(0, n));
    count -= n;
  }
  return `16:${Buffer.concat([salt, Buffer.from([c]), h.digest()])
    .toString('hex')
    .toUpperCase()}`;
}

/** The AUTHENTICATE line for a password (a quoted string; the password is hex, so no escaping is needed). */
export function authenticateLine(password: string): string {
  if (!/^[0-9a-f]{16,128}$/.test(password)) throw bad('control password', 'must be 16-128 lower-case hex digits');
  return `AUTHENTICATE "${password}"`;
}
