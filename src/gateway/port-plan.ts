// Whonix's gateway port plan, and the per-workstation listeners derived from it.
import type { GatewayInput, GatewayPlan, Listener, TorControl, WorkstationPlan } from './types.js';
import { absPath, bad, ident, ifname, ipv4, port } from './validate.js';

/** Ports a workstation uses, as Whonix-Gateway offers them (anon-gw-anonymizer-config). */
export const TRANS_PORT = 9040;
export const DNS_FACING_PORT = 53;
/** Whonix binds its DNSPort on 5300 and redirects 53 to it; here it is the DNS slot (offset 0). */
export const DNS_PORT = 5300;
export const CONTROL_FILTER_PORT = 9051;
/** tor's own ControlPort on the gateway's loopback, reached only by the filter (Whonix: 9052). */
export const TOR_CONTROL_PORT = 9052;
/** The workstation browser's own SocksPort (Whonix gives Tor Browser 9150; the workstation's Firefox ESR uses it too). */
export const BROWSER_SOCKS_PORT = 9150;

const ISO = ['IsolateDestAddr', 'IsolateDestPort'] as const;

/** Whonix's workstation SocksPorts: port, isolation flags beyond tor's defaults, purpose. */
export const WHONIX_SOCKS_PORTS: ReadonlyArray<{ port: number; flags: readonly string[]; purpose: string }> = [
  { port: 9050, flags: [], purpose: 'Tor default port' },
  { port: 9100, flags: [], purpose: 'legacy (web)' },
  { port: 9101, flags: ISO, purpose: 'IRC' },
  { port: 9102, flags: ISO, purpose: 'mail' },
  { port: 9103, flags: ISO, purpose: 'instant messenger' },
  { port: 9104, flags: [], purpose: 'apt-get' },
  { port: 9105, flags: ISO, purpose: 'gpg' },
  { port: 9106, flags: ISO, purpose: 'ssh' },
  { port: 9107, flags: ISO, purpose: 'git' },
  { port: 9108, flags: ISO, purpose: 'time synchronisation' },
  { port: 9109, flags: ISO, purpose: 'wget' },
  { port: 9110, flags: ISO, purpose: 'system check' },
  { port: 9111, flags: [], purpose: 'bitcoin' },
  { port: 9112, flags: [], purpose: 'privoxy' },
  { port: 9113, flags: [], purpose: 'polipo' },
  { port: 9114, flags: ISO, purpose: 'news download' },
  { port: 9115, flags: ISO, purpose: 'Tor Browser download' },
  { port: 9116, flags: ISO, purpose: 'Tor Browser key download' },
  { port: 9117, flags: ISO, purpose: 'curl' },
  { port: 9118, flags: ISO, purpose: 'RSS' },
  { port: 9119, flags: [], purpose: 'TorChat' },
  { port: 9120, flags: ISO, purpose: 'mixmaster update' },
  { port: 9121, flags: ISO, purpose: 'mixmaster' },
  { port: 9122, flags: [], purpose: 'KDE proxy' },
  { port: 9123, flags: [], purpose: 'GNOME proxy' },
  { port: 9124, flags: [], purpose: 'aptitude' },
  { port: 9125, flags: [], purpose: 'yum' },
  { port: 9150, flags: ['KeepAliveIsolateSOCKSAuth'], purpose: 'Tor Browser (isolates by SOCKS username)' },
  { port: 9152, flags: ISO, purpose: 'Tor Messenger' },
  ...range(9153, 9159).map((p) => ({ port: p, flags: [] as string[], purpose: 'custom' })),
  ...range(9160, 9169).map((p) => ({ port: p, flags: ['IsolateDestAddr'], purpose: 'custom' })),
  ...range(9170, 9179).map((p) => ({ port: p, flags: ['IsolateDestPort'], purpose: 'custom' })),
  ...range(9180, 9189).map((p) => ({ port: p, flags: [...ISO], purpose: 'custom' })),
];

function range(a: number, b: number): number[] {
  const out: number[] = [];
  for (let i = a; i <= b; i++) out.push(i);
  return out;
}

/** Ports per workstation block; every facing port maps to base + 200·slot + (facing − 9000), DNS to offset 0. */
export const BLOCK = 200;
export const DEFAULT_PORT_BASE = 20000;

function offset(facing: number): number {
  return facing === DNS_FACING_PORT ? 0 : facing - 9000;
}

/** The listener list of the workstation in slot k (facing ports identical for all, bound ports unique). */
function listenersFor(k: number, base: number): Listener[] {
  const at = (facing: number) => base + BLOCK * k + offset(facing);
  return [
    { kind: 'trans', facingPort: TRANS_PORT, port: at(TRANS_PORT), flags: [], purpose: 'transparent proxy (every other TCP)' },
    { kind: 'dns', facingPort: DNS_FACING_PORT, port: at(DNS_FACING_PORT), flags: ['IsolateDestPort'], purpose: 'DNS (UDP/53)' },
    { kind: 'control', facingPort: CONTROL_FILTER_PORT, port: at(CONTROL_FILTER_PORT), flags: [], purpose: 'control-port filter' },
    ...WHONIX_SOCKS_PORTS.map((s) => ({
      kind: 'socks' as const,
      facingPort: s.port,
      port: at(s.port),
      flags: ['IsolateSOCKSAuth', ...s.flags],
      purpose: s.purpose,
    })),
  ];
}

function torControlOf(input: GatewayInput): TorControl {
  const c = input.control;
  if (c === undefined) return { host: '127.0.0.1', port: TOR_CONTROL_PORT };
  if ('socketPath' in c) return { socketPath: absPath('control.socketPath', c.socketPath) };
  const host = ipv4('control.host', c.host);
  if (!host.startsWith('127.')) throw bad('control.host', `'${host}' must be a loopback address (tor's control port is never exposed)`);
  return { host, port: port('control.port', c.port) };
}

/** Validate the input and derive each workstation's listeners. Throws naming the bad field. */
export function planGateway(input: GatewayInput): GatewayPlan {
  if (input === null || typeof input !== 'object') throw bad('input', 'must be an object');
  if (!Array.isArray(input.workstations) || input.workstations.length === 0) {
    throw bad('workstations', 'must list at least one workstation');
  }
  const base = input.portBase ?? DEFAULT_PORT_BASE;
  if (port('portBase', base) < 1024) throw bad('portBase', 'must be at least 1024 (tor binds after dropping root)');
  const maxK = slotsAbove(base);
  if (input.workstations.length > maxK) throw bad('workstations', `at most ${maxK} workstations fit above portBase ${base}`);
  const seen = { name: new Set<string>(), ifname: new Set<string>(), slot: new Set<number>() };
  const workstations: WorkstationPlan[] = input.workstations.map((w, k) => {
    const f = `workstations[${k}]`;
    if (w === null || typeof w !== 'object') throw bad(f, 'must be an object');
    const name = ident(`${f}.name`, w.name);
    const ifn = ifname(`${f}.ifname`, w.ifname);
    if (ifn === 'lo') throw bad(`${f}.ifname`, "'lo' cannot be a workstation link");
    if (seen.name.has(name)) throw bad(`${f}.name`, `'${name}' appears twice`);
    if (seen.ifname.has(ifn)) throw bad(`${f}.ifname`, `'${ifn}' appears twice`);
    if (!Number.isInteger(w.slot) || w.slot < 0 || w.slot >= maxK) throw bad(`${f}.slot`, `must be an integer 0..${maxK - 1} (blocks above portBase ${base})`);
    if (seen.slot.has(w.slot)) throw bad(`${f}.slot`, `${w.slot} appears twice`);
    seen.name.add(name);
    seen.ifname.add(ifn);
    seen.slot.add(w.slot);
    const gatewayAddr = ipv4(`${f}.gatewayAddr`, w.gatewayAddr);
    const workstationAddr = ipv4(`${f}.workstationAddr`, w.workstationAddr);
    if (gatewayAddr === workstationAddr) throw bad(`${f}.workstationAddr`, 'must differ from gatewayAddr');
    return { name, ifname: ifn, gatewayAddr, workstationAddr, slot: w.slot, index: k, mark: w.slot + 1, listeners: listenersFor(w.slot, base) };
  });
  const uplink = ifname('uplink', input.uplink);
  if (seen.ifname.has(uplink)) throw bad('uplink', `'${uplink}' is also a workstation link`);
  absPath('dataDir', input.dataDir);
  return { workstations, torControl: torControlOf(input) };
}

/** How many listener blocks fit above `base` (slots 0..n-1). */
export function slotsAbove(base: number = DEFAULT_PORT_BASE): number {
  return Math.max(0, Math.floor((65535 - (BLOCK - 1) - base) / BLOCK) + 1);
}

/**
 * Slots for a gateway's workstations: each keeps the slot it holds (`kept`, in the given order: the
 * first holder of a slot wins), the others get the lowest free ones. Pure; the caller persists the result.
 */
export function assignSlots(names: readonly string[], kept: ReadonlyMap<string, number>, max = slotsAbove()): Map<string, number> {
  const out = new Map<string, number>();
  const used = new Set<number>();
  for (const n of names) {
    const s = kept.get(n);
    if (s !== undefined && Number.isInteger(s) && s >= 0 && s < max && !used.has(s)) {
      out.set(n, s);
      used.add(s);
    }
  }
  let next = 0;
  for (const n of names) {
    if (out.has(n)) continue;
    while (used.has(next)) next++;
    if (next >= max) throw bad('workstations', `at most ${max} workstations fit behind one gateway`);
    out.set(n, next);
    used.add(next);
  }
  return out;
}

/** The listener of one kind/facing port of a planned workstation. */
export function listenerOf(ws: WorkstationPlan, facingPort: number): Listener {
  const l = ws.listeners.find((x) => x.facingPort === facingPort);
  if (!l) throw bad('facingPort', `no listener for port ${facingPort}`);
  return l;
}
