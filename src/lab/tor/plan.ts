// Pure plan of the lab's private Tor network: which nodes exist, their roles, addresses, ports and paths.
import { BulkheadError } from '../../errors/index.js';

export type TorRole = 'authority' | 'relay' | 'bridge' | 'onion';

/** One address per node, or every node on one address (ports keep them apart either way). */
export type TorAddresses =
  { authorities: readonly string[]; relays: readonly string[]; bridge: string; onion: string } | { single: string; relayCount?: number };

export interface TorPlanInput {
  stateDir: string;
  addresses: TorAddresses;
  /** First port of the plan; every node gets `basePort + its index` (+100 DirPort, +200 ControlPort). */
  basePort?: number;
}

export interface TorNodePlan {
  nick: string;
  role: TorRole;
  address: string;
  /** 0 for the onion host, which is a client only. */
  orPort: number;
  /** Authorities only; 0 otherwise. */
  dirPort: number;
  controlPort: number;
  /** Bridge only: where obfs4proxy listens; 0 otherwise. */
  obfs4Port: number;
  dataDir: string;
  torrcPath: string;
  controlSocket: string;
  cookieFile: string;
}

export interface TorPlan {
  stateDir: string;
  emptyFile: string;
  resolvConf: string;
  nodes: TorNodePlan[];
  /** Onion host only: the local HTTP server behind HiddenServicePort 80. */
  onionHttp: { address: string; port: number };
}

export const DEFAULT_BASE_PORT = 5100;
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

function checkAddress(field: string, a: string): string {
  if (!IPV4.test(a)) throw new BulkheadError('ERR_INVALID_VALUE', `addresses.${field}: "${a}" is not an IPv4 address`);
  return a;
}

function roleAddresses(a: TorAddresses): { role: TorRole; address: string }[] {
  if ('single' in a) {
    const n = a.relayCount ?? 2;
    if (!Number.isInteger(n) || n < 2 || n > 20) throw new BulkheadError('ERR_INVALID_VALUE', `addresses.relayCount: ${n} (need 2..20)`);
    const addr = checkAddress('single', a.single);
    return [
      ...Array.from({ length: 3 }, () => ({ role: 'authority' as const, address: addr })),
      ...Array.from({ length: n }, () => ({ role: 'relay' as const, address: addr })),
      { role: 'bridge', address: addr },
      { role: 'onion', address: addr },
    ];
  }
  if (a.authorities.length !== 3) throw new BulkheadError('ERR_INVALID_VALUE', `addresses.authorities: need exactly 3, got ${a.authorities.length}`);
  if (a.relays.length < 2 || a.relays.length > 20) throw new BulkheadError('ERR_INVALID_VALUE', `addresses.relays: need 2..20, got ${a.relays.length}`);
  return [
    ...a.authorities.map((x, i) => ({ role: 'authority' as const, address: checkAddress(`authorities[${i}]`, x) })),
    ...a.relays.map((x, i) => ({ role: 'relay' as const, address: checkAddress(`relays[${i}]`, x) })),
    { role: 'bridge', address: checkAddress('bridge', a.bridge) },
    { role: 'onion', address: checkAddress('onion', a.onion) },
  ];
}

export function planTorNetwork(input: TorPlanInput): TorPlan {
  const base = input.basePort ?? DEFAULT_BASE_PORT;
  if (!Number.isInteger(base) || base < 1024 || base + 400 > 65535) {
    throw new BulkheadError('ERR_INVALID_VALUE', `basePort: ${base} (need 1024..65135)`);
  }
  if (!input.stateDir.startsWith('/')) throw new BulkheadError('ERR_INVALID_VALUE', `stateDir: "${input.stateDir}" must be absolute`);
  const dir = input.stateDir.replace(/\/+$/, '');
  const count: Record<TorRole, number> = { authority: 0, relay: 0, bridge: 0, onion: 0 };
  const nodes = roleAddresses(input.addresses).map(({ role, address }, i): TorNodePlan => {
    count[role] += 1;
    const nick = role === 'authority' ? `auth${count[role]}` : role === 'relay' ? `relay${count[role]}` : role;
    const dataDir = `${dir}/${nick}`;
    return {
      nick,
      role,
      address,
      orPort: role === 'onion' ? 0 : base + i,
      dirPort: role === 'authority' ? base + 100 + i : 0,
      controlPort: base + 200 + i,
      obfs4Port: role === 'bridge' ? base + 300 : 0,
      dataDir,
      torrcPath: `${dataDir}/torrc`,
      controlSocket: `${dataDir}/control.sock`,
      cookieFile: `${dataDir}/control_auth_cookie`,
    };
  });
  return {
    stateDir: dir,
    emptyFile: `${dir}/empty`,
    resolvConf: `${dir}/resolv.conf`,
    nodes,
    onionHttp: { address: '127.0.0.1', port: base + 400 },
  };
}

/** Nodes that carry traffic and appear in the consensus (authorities and relays; all are exits). */
export function consensusNodes(plan: TorPlan): TorNodePlan[] {
  return plan.nodes.filter((n) => n.role === 'authority' || n.role === 'relay');
}

export function nodeByRole(plan: TorPlan, role: TorRole): TorNodePlan {
  const n = plan.nodes.find((x) => x.role === role);
  if (!n) throw new BulkheadError('ERR_INTERNAL', `tor plan has no ${role}`);
  return n;
}
