// Pure torrc text for the lab's nodes and lab clients: every one names the lab's authorities and TestingTorNetwork.
import { BulkheadError } from '../../errors/index.js';
import type { TorNodePlan, TorPlan } from './plan.js';

export interface TorrcContext {
  plan: TorPlan;
  /** `DirAuthority …` lines of the lab (see dirAuthorityLine). */
  dirAuthorityLines: readonly string[];
  /** PID tor watches (__OwningControllerProcess): tor exits when it dies. */
  ownerPid: number;
  obfs4proxy?: string;
}

/** Options every lab tor shares; authorities use fast voting so a network is ready in seconds. */
function common(dataDir: string, nick: string, ctx: { plan: TorPlan; dirAuthorityLines: readonly string[]; ownerPid: number }, controlPort: number): string[] {
  if (ctx.dirAuthorityLines.length === 0)
    throw new BulkheadError('ERR_INVALID_VALUE', 'torrc: no DirAuthority lines (a lab tor never uses the public authorities)');
  for (const l of ctx.dirAuthorityLines) {
    if (!l.startsWith('DirAuthority ') || /[\r\n]/.test(l)) throw new BulkheadError('ERR_INVALID_VALUE', `torrc: bad DirAuthority line "${l}"`);
  }
  return [
    `# bulkhead lab tor: ${nick}`,
    'TestingTorNetwork 1',
    ...ctx.dirAuthorityLines,
    `DataDirectory ${dataDir}`,
    `Nickname ${nick}`,
    'RunAsDaemon 0',
    `Log notice file ${dataDir}/notice.log`,
    'SafeLogging 0',
    `ControlPort 127.0.0.1:${controlPort}`,
    `ControlSocket ${dataDir}/control.sock`,
    'CookieAuthentication 1',
    `__OwningControllerProcess ${ctx.ownerPid}`,
    'ShutdownWaitLength 2',
    `GeoIPFile ${ctx.plan.emptyFile}`,
    `GeoIPv6File ${ctx.plan.emptyFile}`,
    'PathsNeededToBuildCircuits 0.67',
    'TestingDirAuthVoteExit *',
    'TestingDirAuthVoteGuard *',
    'TestingDirAuthVoteHSDir *',
    'TestingMinExitFlagThreshold 0',
    'V3AuthNIntervalsValid 2',
    'ClientUseIPv6 0',
  ];
}

function isLoopback(a: string): boolean {
  return a.startsWith('127.');
}

function server(n: TorNodePlan, ctx: TorrcContext): string[] {
  return [
    'SocksPort 0',
    `Address ${n.address}`,
    'AddressDisableIPv6 1',
    `ORPort ${n.address}:${n.orPort}`,
    ...(isLoopback(n.address) ? [] : [`OutboundBindAddress ${n.address}`]),
    `ContactInfo lab-${n.nick}@bulkhead.invalid`,
    'AssumeReachable 1',
    'ServerDNSDetectHijacking 0',
    'ServerDNSTestAddresses',
    `ServerDNSResolvConfFile ${ctx.plan.resolvConf}`,
    'ServerDNSAllowNonRFC953Hostnames 1',
  ];
}

const EXIT = ['ExitRelay 1', 'ExitPolicyRejectPrivate 0', 'ExitPolicyRejectLocalInterfaces 0', 'ExitPolicy accept *:*'];

/**
 * With a 5 s initial voting interval the authorities vote about 2 s before each 5 s boundary of the clock
 * (seconds ≡ 3 mod 5) and include only relays whose descriptors they already hold. Relays upload 1–5 s
 * after launch, so a launch just after a vote slot gives them a whole interval; a launch just before one
 * yields a first consensus without them and costs a 10 s steady interval. Returns how long to wait.
 */
export function msUntilLaunchSlot(nowMs: number, slotMs = 3300): number {
  return (slotMs - (nowMs % 5000) + 5000) % 5000;
}

const AUTHORITY = [
  'AuthoritativeDirectory 1',
  'V3AuthoritativeDirectory 1',
  'TestingV3AuthInitialVotingInterval 5',
  'TestingV3AuthInitialVoteDelay 2',
  'TestingV3AuthInitialDistDelay 2',
  'V3AuthVotingInterval 10',
  'V3AuthVoteDelay 2',
  'V3AuthDistDelay 2',
];

/** torrc of one planned node (authority, relay, bridge or onion host). */
export function nodeTorrc(n: TorNodePlan, ctx: TorrcContext): string {
  const lines = common(n.dataDir, n.nick, ctx, n.controlPort);
  switch (n.role) {
    case 'authority':
      lines.push(...server(n, ctx), `DirPort ${n.address}:${n.dirPort}`, ...AUTHORITY, ...EXIT);
      break;
    case 'relay':
      lines.push(...server(n, ctx), ...EXIT);
      break;
    case 'bridge':
      lines.push(
        ...server(n, ctx),
        'BridgeRelay 1',
        'BridgeDistribution none',
        'PublishServerDescriptor 0',
        'ExitRelay 0',
        'ExitPolicy reject *:*',
        'ExtORPort auto',
        `ServerTransportPlugin obfs4 exec ${ctx.obfs4proxy ?? '/usr/bin/obfs4proxy'}`,
        `ServerTransportListenAddr obfs4 ${n.address}:${n.obfs4Port}`,
      );
      break;
    case 'onion':
      lines.push(
        'SocksPort 0',
        ...(isLoopback(n.address) ? [] : [`OutboundBindAddress ${n.address}`]),
        `HiddenServiceDir ${n.dataDir}/hs`,
        'HiddenServiceVersion 3',
        `HiddenServicePort 80 ${ctx.plan.onionHttp.address}:${ctx.plan.onionHttp.port}`,
        // Started with the network off so the controller can subscribe to HS_DESC before the first upload.
        'DisableNetwork 1',
      );
      break;
  }
  return `${lines.join('\n')}\n`;
}

export interface LabClientTorrc {
  plan: Pick<TorPlan, 'emptyFile'>;
  dataDir: string;
  nick: string;
  dirAuthorityLines: readonly string[];
  ownerPid: number;
  socksPort: number;
  controlPort: number;
  /** A `Bridge obfs4 …` line (without the word "Bridge" or with it); the client then uses only that bridge. */
  bridgeLine?: string;
  obfs4proxy?: string;
}

/** torrc of a lab client (tests, checks): SOCKS on 127.0.0.1 of its namespace. */
export function clientTorrc(c: LabClientTorrc): string {
  const lines = common(c.dataDir, c.nick, { plan: c.plan as TorPlan, dirAuthorityLines: c.dirAuthorityLines, ownerPid: c.ownerPid }, c.controlPort);
  lines.push(`SocksPort 127.0.0.1:${c.socksPort}`);
  if (c.bridgeLine !== undefined) {
    const b = c.bridgeLine.replace(/^Bridge\s+/, '');
    if (!/^obfs4 \S+:\d+ [0-9A-F]{40} cert=\S+ iat-mode=\d$/.test(b))
      throw new BulkheadError('ERR_INVALID_VALUE', `bridgeLine: not an obfs4 bridge line: "${c.bridgeLine}"`);
    lines.push('UseBridges 1', `ClientTransportPlugin obfs4 exec ${c.obfs4proxy ?? '/usr/bin/obfs4proxy'}`, `Bridge ${b}`);
  }
  return `${lines.join('\n')}\n`;
}
