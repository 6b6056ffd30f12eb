// Benchmark of the lab's private Tor network: time to ready, client bootstrap, onion publish, first fetches, memory.
// Usage: node --import tsx bench/lab-tor.ts [RUNS]   (root; writes bench/results/lab-tor.json; BULKHEAD_KEEP_LAB=1 keeps state and logs)
import { randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { run } from '../src/exec/index.js';
import {
  createTorSandbox,
  startLabClient,
  startTorNetwork,
  ONION_PAGE,
  WEB_NAME,
  WEB_PAGE,
  type LabClient,
  type TorNetwork,
  type TorSandbox,
} from '../src/lab/tor/index.js';

interface Sample {
  launchedMs: number;
  networkReadyMs: number;
  onionPublishedMs: number;
  clientBootstrapMs: number;
  firstWebFetchMs: number;
  firstOnionFetchMs: number;
  bridgeClientBootstrapMs: number;
  bridgeFirstFetchMs: number;
  torRssMb: number;
  helpersRssMb: number;
}

async function fetchMs(netns: string, socksPort: number, url: string, expect: string): Promise<number> {
  for (let i = 0; i < 10; i++) {
    const t0 = Date.now();
    const r = await run('ip', ['netns', 'exec', netns, 'curl', '-sS', '--max-time', '30', '--socks5-hostname', `127.0.0.1:${socksPort}`, url], {
      allowFail: true,
      timeoutMs: 40_000,
    });
    if (r.code === 0 && r.stdout.trim() === expect) return Date.now() - t0;
    await new Promise((res) => setTimeout(res, 500));
  }
  throw new Error(`cannot fetch ${url}`);
}

async function once(i: number): Promise<Sample> {
  const prefix = `${process.env.BULKHEAD_TEST_RUN ?? `bhb${randomBytes(2).toString('hex')}`}tor${i}`;
  const dir = await mkdtemp(`/tmp/${prefix}-`);
  let sb: TorSandbox | undefined;
  let net: TorNetwork | undefined;
  const clients: LabClient[] = [];
  try {
    sb = await createTorSandbox({ netns: `${prefix}-ns` });
    await sb.checkSealed();
    net = await startTorNetwork({ prefix, stateDir: `${dir}/lab`, netns: sb.netns, addresses: sb.addresses, dnsResolverAddr: sb.dnsAddr });
    const t = await net.waitReady();
    nodeReady.push({ ...t.nodeReadyMs, nudged: (t.nudgedNodes ?? []).length });
    const c = await startLabClient({
      netns: sb.netns,
      dataDir: `${dir}/c1`,
      nick: 'client1',
      dirAuthorityLines: net.dirAuthorityLines,
      socksPort: 6050,
      controlPort: 6051,
    });
    clients.push(c);
    const firstWebFetchMs = await fetchMs(sb.netns, c.socksPort, `http://${WEB_NAME}/`, WEB_PAGE);
    const firstOnionFetchMs = await fetchMs(sb.netns, c.socksPort, `http://${net.onionAddress}/`, ONION_PAGE);
    const b = await startLabClient({
      netns: sb.netns,
      dataDir: `${dir}/c2`,
      nick: 'client2',
      dirAuthorityLines: net.dirAuthorityLines,
      socksPort: 6060,
      controlPort: 6061,
      bridgeLine: net.bridgeLine,
    });
    clients.push(b);
    const bridgeFirstFetchMs = await fetchMs(sb.netns, b.socksPort, `http://${WEB_NAME}/`, WEB_PAGE);
    const mem = await net.memory();
    let clientKb = 0;
    for (const x of clients) clientKb += Number(/VmRSS:\s+(\d+)/.exec((await run('cat', [`/proc/${x.pid}/status`])).stdout)?.[1] ?? 0);
    return {
      launchedMs: t.launchedMs,
      networkReadyMs: t.networkReadyMs ?? -1,
      onionPublishedMs: t.onionPublishedMs ?? -1,
      clientBootstrapMs: c.bootstrapMs,
      firstWebFetchMs,
      firstOnionFetchMs,
      bridgeClientBootstrapMs: b.bootstrapMs,
      bridgeFirstFetchMs,
      torRssMb: Math.round((mem.torTotalKb + clientKb) / 1024),
      helpersRssMb: Math.round(mem.helpersKb / 1024),
    };
  } finally {
    for (const c of clients) await c.stop().catch(() => {});
    await net?.stop().catch(() => {});
    await sb?.destroy().catch(() => {});
    if (process.env.BULKHEAD_KEEP_LAB) process.stdout.write(`kept ${dir}\n`);
    else await rm(dir, { recursive: true, force: true });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? -1;
}

const runs = Number(process.argv[2] ?? 3);
const samples: Sample[] = [];
const loads: string[] = [];
const nodeReady: Record<string, number>[] = [];
for (let i = 0; i < runs; i++) {
  const s = await once(i);
  samples.push(s);
  loads.push((await readFile('/proc/loadavg', 'utf8')).split(' ')[0] ?? '');
  process.stdout.write(`run ${i + 1}/${runs}: ${JSON.stringify(s)} load ${loads[i]}\n`);
  process.stdout.write(`  node ready ms: ${JSON.stringify(nodeReady[i])}\n`);
}
const keys = Object.keys(samples[0] ?? {}) as (keyof Sample)[];
const summary = Object.fromEntries(
  keys.map((k) => {
    const v = samples.map((s) => s[k]);
    return [k, { median: median(v), min: Math.min(...v), max: Math.max(...v) }];
  }),
);
process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
await mkdir(new URL('./results/', import.meta.url), { recursive: true });
await writeFile(
  new URL('./results/lab-tor.json', import.meta.url),
  `${JSON.stringify({ date: new Date().toISOString(), runs, cpus: (await import('node:os')).cpus().length, loadavg1AfterEachRun: loads, note: 'ms from the startTorNetwork call; tor RSS = the 7 lab nodes + 2 clients; helpers = obfs4proxy + onion page server', summary, samples }, null, 2)}\n`,
);
