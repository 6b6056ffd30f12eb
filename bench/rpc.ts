// Benchmark: RPC between two running qubes — 1000 sequential echo calls (p50/p99, target ≤ 2 ms p50), 1 GiB copy (target ≥ 1 GB/s); writes bench/results/rpc.json.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createNsRuntime } from '../src/runtime/ns/index.js';
import { rpcWorld } from '../test/integration/rpc-helpers.js';
import { ROOT } from '../test/integration/helpers/daemon.js';

const CALLS = Number(process.env.RPC_BENCH_CALLS ?? 1000);
const GIB = 1 << 30;
const RUNS = Number(process.env.RPC_BENCH_RUNS ?? 3);

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
const ms = (us: number) => +(us / 1000).toFixed(3);
function stats(us: number[]) {
  const s = [...us].sort((a, b) => a - b);
  return {
    n: s.length,
    p50_ms: ms(pct(s, 0.5)),
    p90_ms: ms(pct(s, 0.9)),
    p99_ms: ms(pct(s, 0.99)),
    mean_ms: ms(s.reduce((a, b) => a + b, 0) / s.length),
    min_ms: ms(s[0]!),
  };
}
const secsOf = (f: () => void) => {
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0) / 1e9;
};

async function main(): Promise<void> {
  const w = await rpcWorld('rpcbench', ['work', 'personal']);
  const { d } = w;
  const out: Record<string, unknown> = { date: new Date().toISOString(), cpus: cpus().length, cpu: cpus()[0]?.model, loadavg_start: loadavg() };
  try {
    d.ok(
      ['run', 'work', '--', 'sh', '-c', 'cat > /home/user/bh-rpc-bench && chmod 755 /home/user/bh-rpc-bench'],
      readFileSync(join(ROOT, 'native/build/bh-rpc-bench')),
    );
    d.ok([
      'run',
      '--user',
      'root',
      'personal',
      '--',
      'sh',
      '-c',
      'mkdir -p /etc/qubes-rpc && printf "#!/bin/sh\\nexec cat >/dev/null\\n" > /etc/qubes-rpc/test.Sink && chmod 755 /etc/qubes-rpc/test.Sink',
    ]);

    // Latency: each call is a fresh qrexec-client-vm process in `work`, a service process (sh, cat) in `personal`.
    d.ok(['run', 'work', '--', '/home/user/bh-rpc-bench', '50', 'personal', 'bulkhead.Echo']); // warm-up
    const lat = d
      .ok(['run', 'work', '--', '/home/user/bh-rpc-bench', String(CALLS), 'personal', 'bulkhead.Echo'], undefined, 600_000)
      .trim()
      .split('\n')
      .map(Number);
    out.echo_calls = {
      what: `${CALLS} sequential qrexec-client-vm personal bulkhead.Echo from work (client start to exit), target p50 <= 2 ms`,
      ...stats(lat),
    };
    // The same from a shell loop: what a script inside a qube sees.
    const loopS = secsOf(() =>
      d.ok(['run', 'work', '--', 'sh', '-c', 'i=0; while [ $i -lt 200 ]; do echo x | qrexec-client-vm personal bulkhead.Echo >/dev/null; i=$((i+1)); done']),
    );
    const baseS = secsOf(() => d.ok(['run', 'work', '--', 'sh', '-c', 'i=0; while [ $i -lt 200 ]; do echo x | cat >/dev/null; i=$((i+1)); done']));
    out.echo_shell_loop = {
      what: '200 calls in a sh loop, minus the same loop running cat locally',
      per_call_ms: +(((loopS - baseS) / 200) * 1000).toFixed(3),
    };

    // The alternative without a resident agent: one `crun exec` per call.
    const prefix = d.ok(['global', 'prefix']).trim();
    const rt = createNsRuntime();
    const execUs: number[] = [];
    for (let i = 0; i < 100; i++) {
      const t0 = process.hrtime.bigint();
      await new Promise<void>((res, rej) => {
        const c = rt.exec(`${prefix}-personal`, ['cat'], { user: 'user' });
        c.stdout.resume();
        c.on('close', (code) => (code === 0 ? res() : rej(new Error(`crun exec exit ${code}`))));
        c.stdin.end('x\n');
      });
      execUs.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
    out.crun_exec_per_call = {
      what: '100 sequential `crun exec cat` into personal from the host (what a per-call agent would cost before any policy or relay work)',
      ...stats(execUs),
    };

    // Throughput: a bare stream (no disk) and a real qubes.Filecopy (receiver writes to disk and syncfs).
    const pipeBase = secsOf(() => d.ok(['run', 'work', '--', 'sh', '-c', 'head -c 1073741824 /dev/zero | cat > /dev/null'], undefined, 600_000));
    const stream: number[] = [];
    for (let i = 0; i < RUNS; i++)
      stream.push(
        secsOf(() => d.ok(['run', 'work', '--', 'sh', '-c', 'head -c 1073741824 /dev/zero | qrexec-client-vm personal test.Sink'], undefined, 600_000)),
      );
    d.ok(['run', 'work', '--', 'sh', '-c', 'head -c 1073741824 /dev/urandom > /home/user/big'], undefined, 600_000);
    const copy: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      copy.push(secsOf(() => d.ok(['run', 'work', '--', 'qvm-copy-to-vm', 'personal', '/home/user/big'], undefined, 600_000)));
      d.ok(['run', 'personal', '--', 'rm', '-rf', '/home/user/QubesIncoming']);
    }
    const mbps = (xs: number[]) => xs.map((s) => Math.round(GIB / 1e6 / s));
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    out.local_pipe_baseline = { what: '1 GiB through one pipe inside work (head | cat), same moment', mb_per_s: Math.round(GIB / 1e6 / pipeBase) };
    out.stream_1gib = {
      what: '1 GiB stdin of qrexec-client-vm personal test.Sink (cat > /dev/null): client, broker relay, agent',
      secs: stream.map((s) => +s.toFixed(2)),
      mb_per_s: mbps(stream),
      median_mb_per_s: med(mbps(stream)),
    };
    out.filecopy_1gib = {
      what: '1 GiB qvm-copy-to-vm work → personal (bh-filecopy pack/unpack, receiver syncfs to disk), target >= 1000 MB/s',
      secs: copy.map((s) => +s.toFixed(2)),
      mb_per_s: mbps(copy),
      median_mb_per_s: med(mbps(copy)),
    };

    out.agent_idle_rss_kib = Number(d.ok(['run', 'work', '--', 'ps', '-C', 'bh-agent', '-o', 'rss=']).trim());
    out.loadavg_end = loadavg();
  } finally {
    await d.destroy();
  }
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'rpc.json'), JSON.stringify(out, null, 2) + '\n');
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

await main();
