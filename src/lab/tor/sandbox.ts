// A throw-away sealed namespace for running the Tor network on its own: only lo (carrying the lab's addresses), a resolver and a web host.
import { BulkheadError } from '../../errors/index.js';
import { run } from '../../exec/index.js';
import type { TorAddresses } from './plan.js';
import { startPageServer, type PageServer } from './page-server.js';
import { isRunning, spawnInNetns, stopProcesses, type LabProcess } from './process.js';
import { torWait } from './ready.js';
import { waitUntil } from '../../exec/index.js';

export const WEB_PAGE = 'bulkhead lab';
export const WEB_NAME = 'web.lab.test';

export interface TorSandbox {
  netns: string;
  /** Addresses for startTorNetwork, all on lo (this kernel has no dummy links; lo keeps the world sealed by construction). */
  addresses: Extract<TorAddresses, { authorities: readonly string[] }>;
  dnsAddr: string;
  webAddr: string;
  /** Links and routes of the namespace; throws if anything could leave it. */
  checkSealed(): Promise<{ links: string[]; routes: string[] }>;
  destroy(): Promise<void>;
}

/** `net` is the first three octets of a private /24, e.g. "10.77.0". */
export async function createTorSandbox(opts: { netns: string; net?: string; relays?: number }): Promise<TorSandbox> {
  const net = opts.net ?? '10.77.0';
  if (!/^10\.\d{1,3}\.\d{1,3}$/.test(net)) throw new BulkheadError('ERR_INVALID_VALUE', `net: "${net}" (need 10.X.Y)`);
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(opts.netns)) throw new BulkheadError('ERR_INVALID_VALUE', `netns: "${opts.netns}"`);
  const ns = opts.netns;
  const relays = opts.relays ?? 2;
  const addresses = {
    authorities: [`${net}.11`, `${net}.12`, `${net}.13`],
    relays: Array.from({ length: relays }, (_, i) => `${net}.${21 + i}`),
    bridge: `${net}.31`,
    onion: `${net}.41`,
  };
  const dnsAddr = `${net}.53`;
  const webAddr = `${net}.80`;
  const procs: LabProcess[] = [];
  let web: PageServer | undefined;

  const destroy = async (): Promise<void> => {
    if (web) await web.stop();
    await stopProcesses(procs, 3000);
    await run('ip', ['netns', 'del', ns], { allowFail: true });
  };

  try {
    await run('ip', ['netns', 'add', ns]);
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    for (const a of [...addresses.authorities, ...addresses.relays, addresses.bridge, addresses.onion, dnsAddr, webAddr]) {
      await run('ip', ['-n', ns, 'addr', 'add', `${a}/32`, 'dev', 'lo']);
    }
    // The lab resolver: answers only for the lab's names, never forwards anywhere.
    const dns = spawnInNetns(ns, 'dnsmasq', [
      '--keep-in-foreground',
      '--conf-file=/dev/null',
      '--no-resolv',
      '--no-hosts',
      '--no-poll',
      `--listen-address=${dnsAddr}`,
      '--bind-interfaces',
      '--user=root',
      '--pid-file',
      `--address=/${WEB_NAME}/${webAddr}`,
      '--log-facility=-',
    ]);
    procs.push(dns);
    await waitUntil('lab resolver', torWait(5000, 100), async () => {
      if (!isRunning(dns)) throw new BulkheadError('ERR_EXEC', `dnsmasq exited: ${dns.tail()}`);
      const r = await run('ip', ['netns', 'exec', ns, 'ss', '-Hlun', `src ${dnsAddr}:53`], { allowFail: true });
      return r.stdout.includes(`${dnsAddr}:53`) ? true : undefined;
    });
    web = await startPageServer({ netns: ns, address: webAddr, port: 80, body: WEB_PAGE });
  } catch (e) {
    await destroy();
    throw e;
  }

  return {
    netns: ns,
    addresses,
    dnsAddr,
    webAddr,
    async checkSealed() {
      const links = (await run('ip', ['-n', ns, '-o', 'link', 'show'])).stdout
        .trim()
        .split('\n')
        .map((l) => l.split(':')[1]?.trim().split('@')[0] ?? '');
      const routes = [
        ...(await run('ip', ['-n', ns, '-4', 'route', 'show', 'table', 'all'])).stdout.trim().split('\n'),
        ...(await run('ip', ['-n', ns, '-6', 'route', 'show', 'table', 'all'])).stdout.trim().split('\n'),
      ].filter(Boolean);
      const badLink = links.find((l) => l !== 'lo');
      if (badLink) throw new BulkheadError('ERR_NETWORK', `namespace ${ns} has an unexpected link ${badLink}`);
      const badRoute = routes.find((r) => /^default|via /.test(r) || !/dev lo\b/.test(r));
      if (badRoute) throw new BulkheadError('ERR_NETWORK', `namespace ${ns} has a route out: ${badRoute}`);
      return { links, routes };
    },
    destroy,
  };
}
