// Onion-service keys made ahead of time, so the lab knows its .onion address before the onion host starts.
import { createHash, generateKeyPairSync } from 'node:crypto';

export interface OnionKey {
  /** 56 base32 characters + ".onion". */
  address: string;
  /** Contents of hs_ed25519_secret_key (tor's expanded-key format). */
  secretFile: Buffer;
  /** Contents of hs_ed25519_public_key. */
  publicFile: Buffer;
}

function base32(b: Buffer): string {
  const abc = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of b) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += abc[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += abc[(value << (5 - bits)) & 31];
  return out;
}

/** rend-spec-v3: onion_address = base32(PUBKEY | CHECKSUM | VERSION) + ".onion". */
export function onionAddressOf(publicKey: Buffer): string {
  const version = Buffer.from([3]);
  const checksum = createHash('sha3-256')
    .update(Buffer.concat([Buffer.from('.onion checksum'), publicKey, version]))
    .digest()
    .subarray(0, 2);
  return `${base32(Buffer.concat([publicKey, checksum, version]))}.onion`;
}

function header(kind: string): Buffer {
  const h = Buffer.alloc(32);
  h.write(`== ed25519v1-${kind}: type0 ==`, 'latin1');
  return h;
}

/** Expanded secret key as tor stores it: clamped SHA-512(seed)[0..32] then SHA-512(seed)[32..64]. */
export function expandSeed(seed: Buffer): Buffer {
  const h = createHash('sha512').update(seed).digest();
  h[0] = (h[0] ?? 0) & 248;
  h[31] = ((h[31] ?? 0) & 127) | 64;
  return h;
}

export function newOnionKey(): OnionKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d ?? '', 'base64url');
  return {
    address: onionAddressOf(pub),
    secretFile: Buffer.concat([header('secret'), expandSeed(seed)]),
    publicFile: Buffer.concat([header('public'), pub]),
  };
}
