// Per-lab identity keys: authority certificates (tor-gencert) and relay RSA identities with their fingerprints.
import { mkdir, readFile, writeFile, access } from 'node:fs/promises';
import { createHash, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { run } from '../../exec/index.js';
import { certificateFingerprint } from './lines.js';
import type { TorNodePlan } from './plan.js';

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

/** Creates (or reuses) an authority's v3 identity key, signing key and certificate; returns its v3ident. */
export async function ensureAuthorityKeys(n: TorNodePlan): Promise<string> {
  const keys = `${n.dataDir}/keys`;
  await mkdir(keys, { recursive: true, mode: 0o700 });
  const cert = `${keys}/authority_certificate`;
  if (!(await exists(cert))) {
    // The identity key stays encrypted with a throw-away passphrase: tor only needs the signing key and certificate.
    await run(
      'tor-gencert',
      [
        '--create-identity-key',
        '--passphrase-fd',
        '0',
        '-m',
        '12',
        '-i',
        `${keys}/authority_identity_key`,
        '-s',
        `${keys}/authority_signing_key`,
        '-c',
        cert,
        '-a',
        `${n.address}:${n.dirPort}`,
      ],
      { input: `${randomBytes(16).toString('hex')}\n`, timeoutMs: 30_000 },
    );
  }
  return certificateFingerprint(await readFile(cert, 'utf8'), cert);
}

/** SHA-1 of the DER (PKCS#1) RSA public key: a relay's identity fingerprint. */
export function rsaFingerprint(publicKeyDer: Buffer): string {
  return createHash('sha1').update(publicKeyDer).digest('hex').toUpperCase();
}

/**
 * Creates (or reuses) a relay's RSA-1024 identity key (keys/secret_id_key, PKCS#1 PEM as tor writes it) and
 * returns its fingerprint. tor creates the remaining keys (ed25519, onion) itself at first start.
 */
export async function ensureRelayIdentity(n: TorNodePlan): Promise<string> {
  const keys = `${n.dataDir}/keys`;
  await mkdir(keys, { recursive: true, mode: 0o700 });
  const file = `${keys}/secret_id_key`;
  let pem: string;
  if (await exists(file)) {
    pem = await readFile(file, 'utf8');
  } else {
    pem = generateKeyPairSync('rsa', { modulusLength: 1024, publicExponent: 65537 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    await writeFile(file, pem, { mode: 0o600 });
  }
  const der = createPublicKey(pem).export({ type: 'pkcs1', format: 'der' });
  return rsaFingerprint(der);
}
