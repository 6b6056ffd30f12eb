// Brings up the lab's private Tor network in one namespace, phased: relays first, the onion host once all have the consensus.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { BulkheadError } from '../../errors/index.js';
import { dirAuthorityLine, fillBridgeLine } from './lines.js';
import { ensureAuthorityKeys, ensureRelayIdentity } from './keys.js';
import { nudgeLaggards } from './nudge.js';
import { clearRunState, prepareOnionKey } from './state-dir.js';
import { startPageServer, type PageServer } from './page-server.js';
import { consensusNodes, nodeByRole, planTorNetwork, type TorAddresses, type TorNodePlan, type TorPlan, type TorRole } from './plan.js';
import { childPids, isRunning, rssKb, stopProcesses, type LabProcess } from './process.js';
import { missingFromConsensus, onionUploaded, torWait } from './ready.js';
import { waitUntil } from '../../exec/index.js';
import { startTor, type RunningTor } from './node.js';
import { msUntilLaunchSlot, nodeTorrc } from './torrc.js';

export const ONION_PAGE = 'bulkhead onion';

export interface TorNetworkOptions {
  /** Run prefix, used in log lines and error messages. */
  prefix: string;
  /** Directory for keys, torrcs and DataDirectories of this lab (created 0700; never committed). */
  stateDir: string;
  /** Network namespace all nodes run in. */
  netns: string;
  addresses: TorAddresses;
  /** The lab resolver the exits use (written to STATEDIR/resolv.conf; never the host's). */
  dnsResolverAddr: string;
  basePort?: number;
  /** Page served behind the onion service (default "bulkhead onion"). */
  onionPage?: string;
  /** Launch just after an initial vote slot (default true); see msUntilLaunchSlot. */
  alignToVoteSlot?: boolean;
  /** Phase timeouts. */
  consensusTimeoutMs?: number;
  onionTimeoutMs?: number;
}

export interface TorNodeInfo {
  nick: string;
  role: TorRole;
  pid: number;
  address: string;
  orPort: number;
  dirPort: number;
  controlPort: number;
  controlSocket: string;
  cookieFile: string;
  dataDir: string;
  fingerprint: string;
}

export interface TorTimings {
  /** Keys, torrcs and launch of authorities, relays and bridge (ms from the call). */
  launchedMs: number;
  /** Every relay and the bridge has a consensus listing all relays with microdescriptors. */
  networkReadyMs?: number;
  /** The onion service's descriptor was stored on every HSDir it was sent to. */
  onionPublishedMs?: number;
  /** Per node: when it first had the full consensus with microdescriptors. */
  nodeReadyMs?: Record<string, number>;
  /** Relays and bridge sent SIGNAL HUP because they lagged behind the authorities. */
  nudgedNodes?: string[];
}

export interface TorNetwork {
  netns: string;
  plan: TorPlan;
  dirAuthorityLines: string[];
  /** `obfs4 ADDR:PORT FINGERPRINT cert=… iat-mode=0` — put after `Bridge ` in a client torrc. */
  bridgeLine: string;
  onionAddress: string;
  /** Fingerprints of the authorities and relays (all exits). */
  relayFingerprints: string[];
  nodes: TorNodeInfo[];
  timings: TorTimings;
  /** Phases 2 and 3: wait until every relay has the full consensus, then start the onion host and wait until it is published. */
  waitReady(): Promise<TorTimings>;
  /** Resident memory in kB of each tor (and of the bridge's obfs4proxy). */
  memory(): Promise<{ perNode: Record<string, number>; torTotalKb: number; helpersKb: number }>;
  /** Stops exactly the processes this network started (SIGTERM, then SIGKILL), and waits for them. */
  stop(): Promise<void>;
  /** After stop(): names of the processes that ignored SIGTERM and were killed. */
  forcedKills: string[];
}

export async function startTorNetwork(opts: TorNetworkOptions): Promise<TorNetwork> {
  const t0 = Date.now();
  const plan = planTorNetwork({ stateDir: opts.stateDir, addresses: opts.addresses, basePort: opts.basePort });
  if (!/^(\d{1,3}\.){3}\d{1,3}$/.test(opts.dnsResolverAddr))
    throw new BulkheadError('ERR_INVALID_VALUE', `dnsResolverAddr: "${opts.dnsResolverAddr}" is not an IPv4 address`);
  await mkdir(plan.stateDir, { recursive: true, mode: 0o700 });
  await writeFile(plan.emptyFile, '');
  await writeFile(plan.resolvConf, `nameserver ${opts.dnsResolverAddr}\n`);
  for (const n of plan.nodes) {
    await mkdir(n.dataDir, { recursive: true, mode: 0o700 });
    await clearRunState(n.dataDir);
  }

  // Keys: authority certificates and every relay's fingerprint, in parallel.
  const servers = plan.nodes.filter((n) => n.role !== 'onion');
  const fps = new Map<string, string>();
  const v3 = new Map<string, string>();
  await Promise.all(
    servers.map(async (n) => {
      if (n.role === 'authority') v3.set(n.nick, await ensureAuthorityKeys(n));
      fps.set(n.nick, await ensureRelayIdentity(n));
    }),
  );
  const onion = nodeByRole(plan, 'onion');
  const onionAddress = await prepareOnionKey(onion);
  const dirAuthorityLines = plan.nodes
    .filter((n) => n.role === 'authority')
    .map((n) =>
      dirAuthorityLine({
        nick: n.nick,
        address: n.address,
        orPort: n.orPort,
        dirPort: n.dirPort,
        v3ident: v3.get(n.nick) ?? '',
        fingerprint: fps.get(n.nick) ?? '',
      }),
    );
  const ctx = { plan, dirAuthorityLines, ownerPid: process.pid };
  for (const n of plan.nodes) await writeFile(n.torrcPath, nodeTorrc(n, ctx), { mode: 0o600 });

  // Phase 1: authorities, relays and the bridge, launched just after a vote slot so the first vote sees every relay.
  if (opts.alignToVoteSlot !== false) await new Promise((r) => setTimeout(r, msUntilLaunchSlot(Date.now())));
  const running = new Map<string, RunningTor>();
  let pageServer: PageServer | undefined;
  const forcedKills: string[] = [];
  const stopAll = async (): Promise<void> => {
    for (const r of running.values()) r.control.close();
    const named = new Map<number, string>([...running].map(([nick, r]) => [r.process.pid, nick]));
    const procs: LabProcess[] = [...running.values()].map((r) => r.process);
    if (pageServer) {
      procs.push(pageServer.process);
      named.set(pageServer.pid, 'onion page server');
    }
    forcedKills.push(...(await stopProcesses(procs, 5000)).map((pid) => named.get(pid) ?? String(pid)));
  };
  const launch = async (n: TorNodePlan): Promise<void> => {
    running.set(n.nick, await startTor({ netns: opts.netns, torrcPath: n.torrcPath, emptyFile: plan.emptyFile, dataDir: n.dataDir, nick: n.nick }));
  };
  let bridgeLine: string;
  try {
    await Promise.all(servers.map(launch));
    const bridge = nodeByRole(plan, 'bridge');
    const template = await waitUntil('obfs4 bridge line', torWait(20_000, 100), async () => {
      const t = await readFile(`${bridge.dataDir}/pt_state/obfs4_bridgeline.txt`, 'utf8');
      return /^Bridge obfs4 /m.test(t) ? t : undefined;
    });
    bridgeLine = fillBridgeLine(template, bridge.address, bridge.obfs4Port, fps.get(bridge.nick) ?? '');
  } catch (e) {
    await stopAll();
    throw e;
  }

  const info = (n: TorNodePlan): TorNodeInfo => ({
    nick: n.nick,
    role: n.role,
    pid: running.get(n.nick)?.process.pid ?? 0,
    address: n.address,
    orPort: n.orPort,
    dirPort: n.dirPort,
    controlPort: n.controlPort,
    controlSocket: n.controlSocket,
    cookieFile: n.cookieFile,
    dataDir: n.dataDir,
    fingerprint: fps.get(n.nick) ?? '',
  });
  const relayFingerprints = consensusNodes(plan).map((n) => fps.get(n.nick) ?? '');
  const net: TorNetwork = {
    netns: opts.netns,
    plan,
    dirAuthorityLines,
    bridgeLine,
    onionAddress,
    relayFingerprints,
    nodes: servers.map(info),
    timings: { launchedMs: Date.now() - t0 },
    async waitReady() {
      if (net.timings.onionPublishedMs !== undefined) return net.timings;
      // Phase 2: every relay and the bridge caches a consensus listing all relays with microdescriptors.
      let phase2Done = false;
      const nudges = nudgeLaggards(
        () => phase2Done,
        servers,
        running,
        () => net.timings.nodeReadyMs ?? {},
      );
      try {
        await Promise.all(
          servers.map((n) =>
            waitUntil(
              `${opts.prefix} tor ${n.nick} full consensus`,
              torWait(opts.consensusTimeoutMs ?? 90_000, 250, () => phase2Done),
              async () => {
                const r = running.get(n.nick);
                if (!r || !isRunning(r.process))
                  throw new BulkheadError('ERR_EXEC', `tor ${n.nick} is not running: ${r?.process.tail().trim().split('\n').slice(-2).join(' | ') ?? ''}`);
                const ctl = r.control;
                const missing = await missingFromConsensus(ctl, relayFingerprints);
                if (missing.length > 0) return undefined;
                (net.timings.nodeReadyMs ??= {})[n.nick] = Date.now() - t0;
                return true;
              },
            ),
          ),
        );
      } finally {
        phase2Done = true;
      }
      net.timings.nudgedNodes = await nudges;
      net.timings.networkReadyMs = Date.now() - t0;
      // Phase 3: the page server and the onion host; ready once its descriptor is uploaded.
      pageServer = await startPageServer({ netns: opts.netns, address: plan.onionHttp.address, port: plan.onionHttp.port, body: opts.onionPage ?? ONION_PAGE });
      await launch(onion);
      net.nodes = plan.nodes.filter((n) => running.has(n.nick)).map(info);
      const ctl = running.get(onion.nick)?.control;
      if (!ctl) throw new BulkheadError('ERR_INTERNAL', 'onion host not running');
      await onionUploaded(ctl, onionAddress, opts.onionTimeoutMs ?? 60_000, () => ctl.setconf({ DisableNetwork: '0' }));
      const hostname = (await readFile(`${onion.dataDir}/hs/hostname`, 'utf8')).trim();
      if (hostname !== onionAddress) throw new BulkheadError('ERR_INTERNAL', `onion host serves ${hostname}, expected ${onionAddress}`);
      net.timings.onionPublishedMs = Date.now() - t0;
      return net.timings;
    },
    async memory() {
      const perNode: Record<string, number> = {};
      let helpersKb = 0;
      for (const [nick, r] of running) {
        perNode[nick] = await rssKb(r.process.pid);
        for (const c of await childPids(r.process.pid)) helpersKb += await rssKb(c);
      }
      if (pageServer) helpersKb += await rssKb(pageServer.pid);
      return { perNode, torTotalKb: Object.values(perNode).reduce((a, b) => a + b, 0), helpersKb };
    },
    stop: stopAll,
    forcedKills,
  };
  return net;
}
