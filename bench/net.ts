// Benchmark of the network feature: firewall load for 200 qubes × 5 rules (bench/firewall.ts), TCP throughput and latency through the chain against a direct veth, and the cost of a qube's link at start.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { netnsAdd, netnsDelete, netnsSysctl, vethCreate, configurePointToPoint } from '../src/net/index.js';
import { forceRemoveNetns, netDaemon, type NetDaemon } from '../test/integration/net-fixture.js';

const RUN = process.env.BULKHEAD_TEST_RUN ?? `bht${randomBytes(2).toString('hex')}`;
const START_ROUNDS = Number(process.env.BENCH_START_ROUNDS ?? 20);
const IPERF_SECONDS = Number(process.env.BENCH_IPERF_SECONDS ?? 3);
const DIRECT_A = `${RUN}-benchva`;
const DIRECT_B = `${RUN}-benchvb`;
const WEB = '192.0.2.10';

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((x, y) => x - y);
  return Number((s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN).toFixed(3));
}
const summary = (xs: number[]) => ({ p50: pct(xs, 50), p95: pct(xs, 95), min: pct(xs, 0), n: xs.length });

/** The firewall load benchmark lives in bench/firewall.ts (200 qubes × 5 rules); run it and keep its result beside ours. */
function benchFirewall(): Record<string, unknown> {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./firewall.ts', import.meta.url))], {
    encoding: 'utf8',
    timeout: 600_000,
    env: process.env,
  });
  if (r.status !== 0) throw new Error(`bench/firewall.ts failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

function startIperfServer(ns: string, addr: string, port: number): ChildProcess {
  return spawn('ip', ['netns', 'exec', ns, 'iperf3', '-s', '-B', addr, '-p', String(port)], { stdio: 'ignore' });
}

async function waitPort(ns: string, addr: string, port: number): Promise<void> {
  for (let i = 0; i < 50; i++) {
    if (spawnSync('ip', ['netns', 'exec', ns, 'nc', '-z', '-w', '1', addr, String(port)]).status === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`iperf3 server on ${addr}:${port} did not come up`);
}

function iperf(clientNs: string, addr: string, port: number): number {
  const r = spawnSync('ip', ['netns', 'exec', clientNs, 'iperf3', '-c', addr, '-p', String(port), '-t', String(IPERF_SECONDS), '-J'], {
    encoding: 'utf8',
    timeout: (IPERF_SECONDS + 20) * 1000,
  });
  if (r.status !== 0) throw new Error(`iperf3 client in ${clientNs}: ${r.stderr || r.stdout.slice(0, 300)}`);
  const j = JSON.parse(r.stdout) as { end: { sum_received: { bits_per_second: number } } };
  return Number((j.end.sum_received.bits_per_second / 1e9).toFixed(2));
}

/** 100 ICMP echoes 10 ms apart over an unprivileged datagram socket (ping -c 100 -i 0.01); RTTs in ms. */
const PING_PY = `
import socket, struct, sys, time, json
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP); s.settimeout(1)
rtts = []
for seq in range(100):
    t = time.perf_counter()
    s.sendto(struct.pack('!BBHHH', 8, 0, 0, 0, seq) + b'x' * 56, (sys.argv[1], 0))
    try:
        s.recvfrom(200); rtts.append((time.perf_counter() - t) * 1000)
    except socket.timeout:
        pass
    time.sleep(0.01)
print(json.dumps(rtts))
`;

function pingRtts(ns: string, addr: string): number[] {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'python3', '-c', PING_PY, addr], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`ping in ${ns}: ${r.stderr}`);
  return JSON.parse(r.stdout) as number[];
}

async function benchPath(d: NetDaemon): Promise<Record<string, unknown>> {
  const procs: ChildProcess[] = [];
  await netnsDelete([DIRECT_A, DIRECT_B]);
  try {
    // Direct veth between two namespaces of this run, addressed like a qube's link.
    await netnsAdd([DIRECT_A, DIRECT_B]);
    for (const ns of [DIRECT_A, DIRECT_B])
      await netnsSysctl(ns, { 'net.ipv6.conf.all.disable_ipv6': 1, 'net.ipv6.conf.default.disable_ipv6': 1, 'net.ipv4.ping_group_range': '0 0' });
    await vethCreate([{ netns: DIRECT_A, ifname: 'eth0', peerNetns: DIRECT_B, peerIfname: 'eth0' }]);
    await configurePointToPoint({ netns: DIRECT_A, ifname: 'eth0', addresses: ['10.200.0.2'] }, { netns: DIRECT_B, ifname: 'eth0', addresses: ['10.200.0.1'] });
    spawnSync('ip', ['-n', DIRECT_B, 'link', 'set', 'lo', 'up']);
    const port = 15201 + Math.floor(Math.random() * 500);
    const direct = startIperfServer(DIRECT_B, '10.200.0.1', port);
    const lab = startIperfServer(d.ns('lab-web'), WEB, port);
    procs.push(direct, lab);
    await waitPort(DIRECT_B, '10.200.0.1', port);
    await waitPort(d.ns('lab-web'), WEB, port);
    const chainGbit: number[] = [];
    const directGbit: number[] = [];
    for (let r = 0; r < 2; r++) {
      directGbit.push(iperf(DIRECT_A, '10.200.0.1', port));
      chainGbit.push(iperf(d.ns('work'), WEB, port));
    }
    const directRtt = pingRtts(DIRECT_A, '10.200.0.1');
    const chainRtt = pingRtts(d.ns('work'), WEB);
    const dr = summary(directRtt);
    const cr = summary(chainRtt);
    return {
      iperfSeconds: IPERF_SECONDS,
      tcpGbitPerS: { direct: directGbit, chain: chainGbit, chainOverDirect: Number((Math.max(...chainGbit) / Math.max(...directGbit)).toFixed(2)) },
      rttMs: { direct: dr, chain: cr, addedP50: Number((cr.p50 - dr.p50).toFixed(3)), lost: { direct: 100 - directRtt.length, chain: 100 - chainRtt.length } },
      path: "work → sys-firewall (inet bulkhead) → sys-net (masquerade) → lab-router → lab-web; client run with ip netns exec in the qube's namespace",
    };
  } finally {
    for (const p of procs)
      if (p.exitCode === null && p.pid) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    await netnsDelete([DIRECT_A, DIRECT_B]).catch(() => undefined);
  }
}

async function benchAttach(d: NetDaemon): Promise<Record<string, unknown>> {
  d.ok(['create', 'bnet', '--template', 'debian-12', '--label', 'orange']);
  d.ok(['create', 'bnone', '--template', 'debian-12', '--label', 'orange', '--prop', 'netvm=']);
  const times: Record<string, number[]> = { bnet: [], bnone: [] };
  for (let r = 0; r < START_ROUNDS; r++) {
    for (const name of r % 2 ? ['bnet', 'bnone'] : ['bnone', 'bnet']) {
      const t = performance.now();
      const res = await d.api('POST', `/qubes/${name}/start`, {});
      const ms = performance.now() - t;
      if (res.status !== 200) throw new Error(`start ${name}: ${res.status} ${JSON.stringify(res.body)}`);
      times[name]!.push(ms);
      const k = await d.api('POST', `/qubes/${name}/kill`, {});
      if (k.status !== 200) throw new Error(`kill ${name}: ${k.status} ${JSON.stringify(k.body)}`);
    }
  }
  const net = summary(times['bnet']!);
  const none = summary(times['bnone']!);
  return { rounds: START_ROUNDS, viaApiMs: { networked: net, noNetwork: none, linkCostP50: Number((net.p50 - none.p50).toFixed(2)) } };
}

async function main(): Promise<void> {
  const host = {
    kernel: release(),
    cpus: cpus().length,
    loadavgBefore: loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
  };
  const firewall = benchFirewall();
  process.stderr.write(`firewall: ${JSON.stringify(firewall)}\n`);
  const d = await netDaemon('benchnet');
  let path: Record<string, unknown> = {};
  let attach: Record<string, unknown> = {};
  try {
    d.ok(['create', 'work', '--template', 'debian-12', '--label', 'blue']);
    d.ok(['start', 'work']);
    path = await benchPath(d);
    process.stderr.write(`path: ${JSON.stringify(path)}\n`);
    attach = await benchAttach(d);
    process.stderr.write(`attach: ${JSON.stringify(attach)}\n`);
  } finally {
    await d.teardown();
    forceRemoveNetns(d.prefix);
  }
  const out = {
    date: new Date().toISOString(),
    host: {
      ...host,
      loadavgAfter: loadavg()
        .map((x) => x.toFixed(2))
        .join(' '),
    },
    firewall,
    path,
    attach,
  };
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/net.json', import.meta.url), JSON.stringify(out, null, 2) + '\n');
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

await main();
