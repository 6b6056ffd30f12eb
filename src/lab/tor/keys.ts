// Per-lab identity keys: authority certificates (tor-gencert) and relay fingerprints (tor --list-fingerprint).
import { mkdir, readFile, writeFile, access } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { run } from '../../exec/index.js';
import { certificateFingerprint, parseFingerprint } from './lines.js';
import { keygenTorrc } from './torrc.js';
import type { TorNodePlan, TorPlan } from './plan.js';

async function exists(p: string): Promise<boolean> {
  try { await access(p); return true; } catch { return false; }
}

/** Creates (or reuses) an authority's v3 identity key, signing key and certificate; returns its v3ident. */
export async function ensureAuthorityKeys(n: TorNodePlan): Promise<string> {
  const keys = `${n.dataDir}/keys`;
  await mkdir(keys, { recursive: true, mode: 0o700 });
  const cert = `${keys}/authority_certificate`;
  if (!(await exists(cert))) {
    // The identity key stays encrypted with a throw-away passphrase: tor only needs the signing key and certificate.
    await run('tor-gencert', [
      '--create-identity-key', '--passphrase-fd', '0', '-m', '12',
      '-i', `${keys}/authority_identity_key`, '-s', `${keys}/authority_signing_key`, '-c', cert,
      '-a', `${n.address}:${n.dirPort}`,
    ], { input: `${randomBytes(16).toString('hex')}\n`, timeoutMs: 30_000 });
  }
  return certificateFingerprint(await readFile(cert, 'utf8'), cert);
}

/** Creates (or reuses) a relay's keys and returns its RSA identity fingerprint. Runs inside the lab namespace. */
export async function ensureRelayFingerprint(n: TorNodePlan, plan: TorPlan, netns: string): Promise<string> {
  await mkdir(n.dataDir, { recursive: true, mode: 0o700 });
  const fpFile = `${n.dataDir}/fingerprint`;
  if (await exists(fpFile)) return parseFingerprint(await readFile(fpFile, 'utf8'), n.nick);
  const torrc = `${n.dataDir}/torrc.keygen`;
  await writeFile(torrc, keygenTorrc(n, plan.emptyFile), { mode: 0o600 });
  const res = await run('ip', ['netns', 'exec', netns, 'tor', '--defaults-torrc', plan.emptyFile, '-f', torrc, '--list-fingerprint', '--quiet'], {
    timeoutMs: 30_000,
    env: { ...process.env, MALLOC_ARENA_MAX: '1' },
  });
  return parseFingerprint(res.stdout, n.nick);
}
