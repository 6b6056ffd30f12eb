// The lab network's state directory: keeping keys across restarts, dropping cached state, the onion key.
import { access, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { newOnionKey } from './onion-key.js';
import type { TorNodePlan } from './plan.js';

const CACHES = /^(cached-.*|state|sr-state|v3-status-votes|diff-cache|unverified-.*|notice\.log|control\.sock|control_auth_cookie|torrc.*)$/;

/** Removes what a previous run left besides keys, so a restarted lab never starts from a stale consensus. */
export async function clearRunState(dataDir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dataDir);
  } catch {
    return;
  }
  await Promise.all(entries.filter((e) => CACHES.test(e)).map((e) => rm(`${dataDir}/${e}`, { recursive: true, force: true })));
}

export async function prepareOnionKey(n: TorNodePlan): Promise<string> {
  const hs = `${n.dataDir}/hs`;
  try {
    await access(`${hs}/hs_ed25519_secret_key`);
    return (await readFile(`${hs}/hostname`, 'utf8')).trim();
  } catch {
    const key = newOnionKey();
    await mkdir(hs, { recursive: true, mode: 0o700 });
    await writeFile(`${hs}/hs_ed25519_secret_key`, key.secretFile, { mode: 0o600 });
    await writeFile(`${hs}/hs_ed25519_public_key`, key.publicFile, { mode: 0o600 });
    await writeFile(`${hs}/hostname`, `${key.address}\n`, { mode: 0o600 });
    return key.address;
  }
}
