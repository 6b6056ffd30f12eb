// `bulkhead check WORKSTATION` (Whonix's systemcheck): Tor bootstrapped, pages through Tor, DNS via Tor, stream isolation, identity, no direct reach.
import type { CheckResult, CheckReport } from '../../contract/whonix.js';
export type { CheckResult, CheckReport };
// Rows that need the lab (its hosts, its packet observer) run only for a gateway of the lab profile; elsewhere they are reported skipped.
import { pollFor } from '../../exec/index.js';
import { randomBytes } from 'node:crypto';
import { BulkheadError } from '../../errors/index.js';
import { effective } from '../../model/index.js';
import type { DaemonContext } from '../../daemon/context.js';
import { isRunning } from '../../daemon/lifecycle/power.js';
import { labStateDir } from '../../lab/index.js';
import { readLabState } from '../../lab/state.js';
import { ONION_PAGE } from '../../lab/tor/index.js';
import { LAB_PAGE_MARKER } from '../../lab/web-server.js';
import { isGateway } from '../../model/index.js';
import { gatewayControl, type GatewayControl } from './gateway-control.js';
import { readLabTor } from './lab-tor.js';
import { delta, describeSeen, observeLab, totalOther, type LabObserver, type Observation } from './lab-observer.js';
import { circuitsOf, streamEventsOf, type StreamEvent } from './stream-events.js';
import { execIn } from './exec-in.js';
import { torState, type TorState } from './tor-watch.js';
import { CHECK_ROWS, gatewayNetwork, isLabRow, labRowsSkipReason } from './profile.js';
import type { TorNetwork } from '../../gateway/index.js';
import { GW_ADDR, WS_ADDR, WS_HOSTNAME, WS_MACHINE_ID, WS_TIMEZONE, WS_USER } from './identity.js';

const WEB = '192.0.2.10';
const SOCKS = `${GW_ADDR}:9050`;
const BOOTSTRAP_WAIT_MS = 60_000;

/** The gateway a workstation's link ends in, or an error naming why it is not a workstation. */
export function workstationGateway(ctx: DaemonContext, name: string): string {
  const sys = ctx.store.system();
  const q = sys.qubes.get(name);
  if (!q) throw new BulkheadError('ERR_NO_SUCH_QUBE', `no qube named '${name}'`);
  const n = effective(q, 'netvm', sys);
  if (typeof n !== 'string' || !isGateway(sys.qubes.get(n))) {
    throw new BulkheadError(
      'ERR_INVALID_VALUE',
      `'${name}' is not a workstation: its netvm is ${typeof n === 'string' && n ? `'${n}', not a gateway` : 'none'}`,
    );
  }
  return n;
}

const short = (s: string) => s.trim().split('\n').slice(-2).join(' | ').slice(0, 200);

export async function checkWorkstation(ctx: DaemonContext, name: string): Promise<CheckReport> {
  const t0 = Date.now();
  const gateway = workstationGateway(ctx, name);
  if (!isRunning(ctx, name)) throw new BulkheadError('ERR_QUBE_NOT_RUNNING', `workstation '${name}' is not running (bulkhead start ${name})`);
  const sys = ctx.store.system();
  const network = gatewayNetwork(sys, sys.qubes.get(gateway)!);
  const labSkip = labRowsSkipReason(network);
  const checks: CheckResult[] = [];
  const add = (id: string, title: string, ok: boolean, detail: string) => {
    if (!CHECK_ROWS.some((r) => r.id === id)) throw new BulkheadError('ERR_INTERNAL', `check row '${id}' is not declared in CHECK_ROWS`);
    checks.push({ id, title, ok, detail, ...(isLabRow(id) ? { lab: true } : {}) });
  };
  const sh = (argv: string[], user = 'user', timeoutMs = 45_000) => execIn(ctx, name, argv, { user, timeoutMs });
  const tag = randomBytes(3).toString('hex');

  // Outside the lab profile nothing of the lab is read: check runs on a machine that has none.
  const lab = labSkip ? null : await readLabTor(ctx);
  const labState = labSkip ? null : await readLabState(labStateDir(ctx.paths.home));
  const uplinkAddrs = labState?.uplinks.map((u) => u.address) ?? [];

  let ctl: GatewayControl | null = null;
  let observer: LabObserver | null = null;
  const events: StreamEvent[] = [];
  /** Whether tor's STREAM events reach `events`: without them no probe's stream can be seen, so none is waited for. */
  let subscribed = false;
  try {
    try {
      ctl = await gatewayControl(ctx, gateway);
      // Like Whonix's systemcheck, give a tor that is still bootstrapping some time.
      const t = Date.now();
      let phase = await ctl.tor.getinfoOne('status/bootstrap-phase');
      while (!/PROGRESS=100\b/.test(phase) && Date.now() - t < BOOTSTRAP_WAIT_MS) {
        await new Promise((r) => setTimeout(r, 500));
        phase = await ctl.tor.getinfoOne('status/bootstrap-phase');
      }
      add(
        'tor-bootstrapped',
        `tor in ${gateway} has bootstrapped`,
        /PROGRESS=100\b/.test(phase),
        `${phase.trim()} (waited ${((Date.now() - t) / 1000).toFixed(1)} s)`,
      );
      await ctl.tor.onEvents(['STREAM'], (r) => {
        events.push(...streamEventsOf(r));
      });
      subscribed = true;
    } catch (e) {
      add('tor-bootstrapped', `tor in ${gateway} has bootstrapped`, false, `control port: ${(e as Error).message}`);
    }
    if (lab) {
      try {
        observer = await observeLab(labStateDir(ctx.paths.home));
      } catch (e) {
        add('lab-observer', 'packet counters in the lab hosts', false, (e as Error).message);
      }
    }
    const seenStart = observer ? await observer.read() : null;
    let seenAll: Observation | null = null;
    // Without a bootstrapped tor the network checks are bound to fail: shorter deadlines, same checks.
    const torUp = checks[0]?.ok === true;
    const CURL = ['curl', '-sS', '--max-time', torUp ? '30' : '8'];
    const DIG_TIME = torUp ? ['+time=10', '+tries=2'] : ['+time=3', '+tries=1'];

    /** Run a probe; stream events seen while it ran (waiting briefly for the expected ones). */
    const window = async <T>(probe: () => Promise<T>, expect: (ev: StreamEvent[]) => boolean) => {
      const from = events.length;
      const before = observer ? await observer.read() : null;
      const result = await probe();
      const got = subscribed ? await pollFor(() => expect(events.slice(from)), 2000, 50) : false;
      const seen = observer && before ? delta(before, await observer.read()) : null;
      return { result, ev: events.slice(from), got, seen };
    };
    const proto = (p: string, target: RegExp) => (e: StreamEvent) => e.fields['CLIENT_PROTOCOL'] === p && target.test(e.target);
    const carried = (ev: StreamEvent[], pick: (e: StreamEvent) => boolean) => circuitsOf(ev, pick).size > 0;
    if (lab) {
      const webTarget = /^(web\.lab\.test|192\.0\.2\.10):80$/;
      const onionTarget = new RegExp(`^${lab.onionAddress.replace(/\./g, '\\.')}:80$`);

      const fetch = async (id: string, title: string, argv: string[], marker: string, pick: (e: StreamEvent) => boolean) => {
        const w = await window(
          () => sh(argv),
          (ev) => carried(ev, pick),
        );
        const page = w.result.code === 0 && w.result.stdout.includes(marker);
        const circ = [...circuitsOf(w.ev, pick)];
        add(
          id,
          title,
          page && w.got,
          [
            page ? `page "${marker}" in ${w.result.ms} ms` : `curl exit ${w.result.code}: ${short(w.result.stderr || w.result.stdout)}`,
            w.got ? `tor stream on circuit ${circ.join(',')}` : 'no tor stream carried it',
          ].join('; '),
        );
      };
      await fetch('trans-lab-page', 'lab page through the transparent proxy', [...CURL, 'http://web.lab.test/'], LAB_PAGE_MARKER, proto('TRANS', webTarget));
      await fetch(
        'trans-onion-page',
        'onion page through the transparent proxy',
        [...CURL, `http://${lab.onionAddress}/`],
        ONION_PAGE,
        proto('TRANS', onionTarget),
      );
      await fetch(
        'socks-lab-page',
        `lab page through SOCKS (${SOCKS})`,
        [...CURL, '--socks5-hostname', SOCKS, 'http://web.lab.test/'],
        LAB_PAGE_MARKER,
        proto('SOCKS5', webTarget),
      );
      await fetch(
        'socks-onion-page',
        `onion page through SOCKS (${SOCKS})`,
        [...CURL, '--socks5-hostname', SOCKS, `http://${lab.onionAddress}/`],
        ONION_PAGE,
        proto('SOCKS5', onionTarget),
      );

      // DNS: a fresh name (the lab answers *.lab.test with the web host) so no cache answers for it.
      const fresh = `check-${tag}.lab.test`;
      const dnsPick = (e: StreamEvent) => e.fields['CLIENT_PROTOCOL'] === 'DNS' && e.target === `${fresh}:0`;
      const dns = await window(
        () => sh(['dig', '+short', ...DIG_TIME, fresh]),
        (ev) => ev.some(dnsPick),
      );
      const answered = dns.result.code === 0 && dns.result.stdout.trim().split('\n').includes(WEB);
      const dnsHost = dns.seen?.['dns'];
      add(
        'dns-via-tor',
        'DNS answered through Tor (gateway DNSPort, resolved by an exit)',
        answered && dns.got && !!dnsHost && dnsHost.other === 0,
        [
          answered ? `${fresh} → ${WEB}` : `dig exit ${dns.result.code}: ${short(dns.result.stdout + dns.result.stderr) || 'no answer'}`,
          dns.got ? `tor's DNSPort took the query (stream ${dns.ev.find(dnsPick)?.id})` : 'tor never saw the query',
          dnsHost ? `lab DNS host saw ${dnsHost.tor} packets from Tor relays, ${dnsHost.other} from anything else` : 'lab DNS host not observed',
        ].join('; '),
      );

      // Stream isolation: two SOCKS usernames on the same port must get two circuits.
      const users = [`check-${tag}-a`, `check-${tag}-b`];
      const circuits: number[][] = [];
      for (const u of users) {
        const pick = (e: StreamEvent) => e.fields['SOCKS_USERNAME'] === u;
        const w = await window(
          () => sh([...CURL, '--socks5-hostname', SOCKS, '-U', `${u}:x`, `http://web.lab.test/ip`]),
          (ev) => carried(ev, pick),
        );
        circuits.push(w.result.code === 0 ? [...circuitsOf(w.ev, pick)] : []);
      }
      const [ca = [], cb = []] = circuits;
      const shared = ca.filter((c) => cb.includes(c));
      add(
        'stream-isolation',
        'two SOCKS usernames get two circuits',
        ca.length > 0 && cb.length > 0 && shared.length === 0,
        `${users[0]} → circuit ${ca.join(',') || 'none'}, ${users[1]} → circuit ${cb.join(',') || 'none'}${shared.length ? `; shared ${shared.join(',')}` : ''}`,
      );
    }

    // Identity: what every workstation looks like.
    const idr = await sh(
      ['sh', '-c', 'hostname; cat /etc/machine-id; date +%Z; cat /etc/timezone; id -nu 1000; ip -4 -o addr show; ip route show default'],
      'user',
      15_000,
    );
    const [host = '', mid = '', tz = '', tzFile = '', user = '', ...rest] = idr.stdout.split('\n');
    const addrs = rest
      .filter((l) => /\binet\b/.test(l))
      .map((l) =>
        l
          .split(/\s+/)
          .slice(1, 4)
          .filter((x) => x !== 'inet')
          .join(' '),
      );
    const route = rest.find((l) => l.startsWith('default')) ?? '';
    add('identity-hostname', `hostname is '${WS_HOSTNAME}'`, host === WS_HOSTNAME, host || short(idr.stderr));
    add('identity-machine-id', "/etc/machine-id is Whonix's fixed value", mid === WS_MACHINE_ID, mid);
    add('identity-timezone', `timezone is ${WS_TIMEZONE}`, tz === WS_TIMEZONE && tzFile === WS_TIMEZONE, `date says ${tz}, /etc/timezone ${tzFile}`);
    add('identity-user', `the user is '${WS_USER}' (uid 1000)`, user === WS_USER, user);
    const wantAddrs = ['lo 127.0.0.1/8', `eth0 ${WS_ADDR}/32`];
    add(
      'identity-address',
      `address ${WS_ADDR} on eth0, default route via ${GW_ADDR}`,
      JSON.stringify(addrs) === JSON.stringify(wantAddrs) && route.includes(`via ${GW_ADDR} dev eth0`),
      `${addrs.join(', ')}; ${route.trim()}`,
    );

    if (lab) {
      // No direct reach: TCP to a lab address is proxied (the web host sees an exit), UDP and ICMP get nothing.
      const direct = await window(
        () => sh([...CURL, `http://${WEB}/ip`]),
        (ev) => carried(ev, proto('TRANS', /^192\.0\.2\.10:80$/)),
      );
      const saw = direct.result.stdout.trim();
      const isExit = lab.exitAddresses.includes(saw);
      add(
        'direct-tcp-proxied',
        `TCP to ${WEB} leaves through a Tor exit`,
        direct.result.code === 0 && isExit && saw !== WS_ADDR && !uplinkAddrs.includes(saw) && (direct.seen?.['web']?.other ?? 0) === 0,
        direct.result.code === 0
          ? `the web host saw ${saw}${isExit ? ' (a Tor exit)' : ' (NOT a Tor exit)'}; the workstation is ${WS_ADDR}, sys-net's uplink ${uplinkAddrs.join(',') || '?'}`
          : `curl exit ${direct.result.code}: ${short(direct.result.stderr)}`,
      );
      const probe = await window(
        () => sh(['python3', '-c', UDP_ICMP_PROBE], 'user', 20_000),
        () => true,
      );
      const lines = probe.result.stdout.trim().split('\n').filter(Boolean);
      const answeredProbes = lines.filter((l) => / answered$/.test(l));
      const other = probe.seen ? totalOther(probe.seen) : null;
      add(
        'direct-udp-icmp-blocked',
        `UDP and ICMP to ${WEB} and 192.0.2.53 get no answer`,
        probe.result.code === 0 && lines.length === 3 && answeredProbes.length === 0 && other === 0,
        `${lines.join('; ') || short(probe.result.stderr)}; lab saw ${other ?? '?'} packets not from Tor`,
      );

      seenAll = observer && seenStart ? delta(seenStart, await observer.read()) : null;
      if (seenAll) {
        add('lab-saw-only-tor', 'the lab hosts saw only Tor relays during the check', totalOther(seenAll) === 0, describeSeen(seenAll));
      }
    } else {
      // Not run, and said so: a skipped row is never counted as passed.
      for (const r of CHECK_ROWS)
        if (r.lab) checks.push({ id: r.id, title: r.title, ok: false, detail: `skipped: ${labSkip}`, lab: true, skipped: labSkip ?? '' });
    }
    return {
      workstation: name,
      gateway,
      network,
      ok: checks.every((c) => c.ok || c.skipped !== undefined),
      checks,
      labSeen: seenAll,
      tor: torState(ctx, gateway),
      ms: Date.now() - t0,
    };
  } finally {
    ctl?.close();
    await observer?.remove();
  }
}

/** Run in the workstation: UDP to two lab hosts and one ICMP echo; prints one line each ("answered" or why not). */
export const UDP_ICMP_PROBE = `
import socket, struct
for host, port in (('192.0.2.10', 9), ('192.0.2.53', 123)):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(2)
    try:
        u.sendto(b'bulkhead-check', (host, port)); u.recvfrom(100); print('udp %s:%d answered' % (host, port))
    except Exception as e:
        print('udp %s:%d no answer (%s)' % (host, port, type(e).__name__))
try:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP); s.settimeout(2)
    s.sendto(struct.pack('!BBHHH', 8, 0, 0, 0, 1) + b'bulkhead', ('192.0.2.10', 0)); s.recvfrom(200); print('icmp 192.0.2.10 answered')
except Exception as e:
    print('icmp 192.0.2.10 no answer (%s)' % type(e).__name__)
`;
