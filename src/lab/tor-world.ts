// The lab's private Tor network as part of the lab world: attached to the lab router, started phased, described on disk.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LAB_DNS_ADDR } from '../model/lab-plan.js';
import { labAttachHost } from './attach.js';
import { TOR_DIR, TOR_INFO_FILE } from './files.js';
import { readLabState } from './state.js';
import { startTorNetwork, type TorNetwork } from './tor/index.js';

/** Relay range addresses (TEST-NET-3) of the lab's Tor network. */
export const LAB_TOR_ADDRESSES = {
  authorities: ['203.0.113.11', '203.0.113.12', '203.0.113.13'],
  relays: ['203.0.113.21', '203.0.113.22'],
  bridge: '203.0.113.31',
  onion: '203.0.113.41',
};
export { TOR_INFO_FILE } from './files.js';

let running: { prefix: string; net: TorNetwork } | null = null;

/** The running network of this process, if any (tor nodes die with their owning process). */
export function labTorRunning(): TorNetwork | null {
  return running?.net ?? null;
}

/** Start (or keep) the lab's Tor network; writes what clients need to STATEDIR/tor-network.json. */
export async function labTorUp(prefix: string, stateDir: string): Promise<TorNetwork> {
  if (running && running.prefix === prefix) return running.net;
  const state = await readLabState(stateDir);
  const existing = state?.hosts.find((h) => h.name === 'tor');
  const netns = existing
    ? existing.netns
    : (
        await labAttachHost(prefix, stateDir, 'tor', [
          ...LAB_TOR_ADDRESSES.authorities,
          ...LAB_TOR_ADDRESSES.relays,
          LAB_TOR_ADDRESSES.bridge,
          LAB_TOR_ADDRESSES.onion,
        ])
      ).netns;
  const torDir = join(stateDir, TOR_DIR);
  await mkdir(torDir, { recursive: true, mode: 0o700 });
  // Tor nodes of an earlier daemon exit a moment after it (they are owned by it); if they still hold
  // their ports or files, try again shortly.
  let net: TorNetwork | null = null;
  for (let attempt = 1; !net; attempt++) {
    try {
      net = await startTorNetwork({ prefix, stateDir: torDir, netns, addresses: LAB_TOR_ADDRESSES, dnsResolverAddr: LAB_DNS_ADDR });
    } catch (e) {
      if (attempt >= 3) throw e;
      await new Promise((r) => setTimeout(r, 3000));
    }
  }
  try {
    await net.waitReady();
  } catch (e) {
    await net.stop();
    throw e;
  }
  running = { prefix, net };
  await writeFile(
    join(stateDir, TOR_INFO_FILE),
    JSON.stringify(
      {
        dirAuthorityLines: net.dirAuthorityLines,
        bridgeLine: net.bridgeLine,
        onionAddress: net.onionAddress,
        netns,
        exitAddresses: [...LAB_TOR_ADDRESSES.authorities, ...LAB_TOR_ADDRESSES.relays],
      },
      null,
      2,
    ) + '\n',
    { mode: 0o644 },
  );
  return net;
}

export async function labTorDown(stateDir: string): Promise<void> {
  await rm(join(stateDir, TOR_INFO_FILE), { force: true });
  if (running) {
    await running.net.stop();
    running = null;
  }
}
