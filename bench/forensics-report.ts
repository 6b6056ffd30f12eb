// Benchmark of `bulkhead forensics report` and `anchor` over a state directory holding 1 M audit rows; writes bench/results/forensics-report.json.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { hashEntry, GENESIS_HASH } from '../src/state/audit.js';
import { openDatabase, StateStore } from '../src/state/index.js';
import { CLI } from '../test/integration/helpers/daemon.js';

const ROWS = Number(process.env.BENCH_AUDIT_ROWS ?? 1_000_000);
const QUBES = 40;
const TARGET_S = 10;

/** A state directory with QUBES qubes and ROWS chained audit rows: starts, stops, RPC decisions and ends, file copies, firewall changes, over 30 days. */
async function makeState(): Promise<string> {
  const home = mkdtempSync(join('/var/tmp', `${process.env.BULKHEAD_TEST_RUN ?? 'bhb'}-fr-`));
  const db = await openDatabase(join(home, 'state.db'));
  const s = new StateStore(db);
  const names = Array.from({ length: QUBES }, (_, i) => `q${i}`);
  for (const n of names) s.createQube('admin', { name: n, klass: 'app', label: 'green', props: { template: 'debian-12' } });
  const last = db.prepare('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
  let prev = last?.hash ?? GENESIS_HASH;
  let seq = last?.seq ?? 0;
  const ins = db.prepare('INSERT INTO audit (seq, time, actor, event, qube, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const t0 = Date.UTC(2026, 10, 1);
  const step = (30 * 86_400_000) / ROWS;
  const add = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const src = names[i % QUBES]!;
      const dst = names[(i * 7 + 3) % QUBES]!;
      const k = i % 10;
      const [actor, event, detail] =
        k === 0
          ? ['admin', 'qube-started', { pid: 1000 + i, uidBase: 65536 }]
          : k === 1
            ? ['admin', 'qube-stopped', { reason: 'shutdown' }]
            : k < 5
              ? [
                  'rpc',
                  'rpc-decision',
                  {
                    id: i.toString(16),
                    source: src,
                    requested: dst,
                    service: 'qubes.Filecopy',
                    argument: '+',
                    result: 'allow',
                    target: dst,
                    rule: '/etc/policy.d/90-default.policy:12',
                  },
                ]
              : k < 8
                ? [
                    'rpc',
                    'rpc-call-end',
                    {
                      id: i.toString(16),
                      source: src,
                      requested: '@default',
                      service: 'qubes.OpenInVM',
                      argument: '+',
                      target: dst,
                      exit: 0,
                      end: 'exit',
                      bytesIn: 100,
                      bytesOut: 2000,
                    },
                  ]
                : k === 8
                  ? [
                      'rpc',
                      'rpc-decision',
                      {
                        id: i.toString(16),
                        source: src,
                        requested: dst,
                        service: 'bulkhead.Echo',
                        argument: '+x',
                        result: 'deny',
                        rule: null,
                        reason: 'no rule',
                      },
                    ]
                  : ['admin', 'firewall-set', { rules: ['action=accept dsthost=10.0.0.1', 'action=drop'] }];
      const row = { seq: ++seq, time: new Date(t0 + i * step).toISOString(), actor, event, qube: src, detail: JSON.stringify(detail) };
      const hash = hashEntry(prev, row);
      ins.run(row.seq, row.time, actor, event, src, row.detail, prev, hash);
      prev = hash;
    }
  });
  for (let i = 0; i < ROWS; i += 50_000) add(i, Math.min(ROWS, i + 50_000));
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return home;
}

const secs = (m: string, sec: string) => Number(m) * 60 + Number(sec);

/** Wall time and CPU time (user + system, from bash's `times`) of the CLI, its stdout counted and thrown away. */
function timed(args: string[]): Promise<{ seconds: number; cpuSeconds: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    // pipefail: the CLI's status, not wc's; `times` prints the shell's line, then its children's.
    const child = spawn('bash', ['-c', 'set -o pipefail; "$@" | wc -c; rc=$?; times; exit $rc', 'bash', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(((performance.now() - t) / 1000).toFixed(2));
      if (code !== 0) {
        reject(new Error(`bulkhead ${args.join(' ')} exited ${code}: ${err}`));
        return;
      }
      const lines = out.trim().split('\n');
      const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s/.exec(lines[2] ?? '');
      const cpuSeconds = m ? Number((secs(m[1]!, m[2]!) + secs(m[3]!, m[4]!)).toFixed(2)) : NaN;
      resolve({ seconds, cpuSeconds, bytes: Number(lines[0]) });
    });
  });
}

const tMake = performance.now();
const home = process.env.BENCH_STATE ?? (await makeState());
const makeSeconds = process.env.BENCH_STATE ? null : Number(((performance.now() - tMake) / 1000).toFixed(1));
try {
  const dbBytes = statSync(join(home, 'state.db')).size;
  const runs: Record<string, { seconds: number; cpuSeconds: number; bytes: number }> = {};
  const load = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  const loadBefore = load();
  for (const [name, extra] of [
    ['text', []],
    ['json', ['--json']],
    ['jsonl', ['--jsonl']],
    ['html', ['--html']],
  ] as [string, string[]][]) {
    const r = await timed(['forensics', 'report', '--state', home, ...extra]);
    runs[name] = r;
  }
  const anchor = await timed(['forensics', 'anchor', '--state', home]);
  const worst = Math.max(...Object.values(runs).map((r) => r.seconds));
  const result = {
    benchmark: 'examiner report over 1 M audit rows (CLI wall time, chain verified)',
    rows: ROWS + QUBES,
    database_bytes: dbBytes,
    setup_seconds: makeSeconds,
    summary: [
      ...Object.entries(runs).map(([n, r]) => ({
        metric: `report ${n === 'text' ? '(text)' : `--${n}`}, ${ROWS} rows: wall (cpu ${r.cpuSeconds} s)`,
        value: r.seconds,
        unit: 's',
        target: `≤ ${TARGET_S} s`,
        meets: r.seconds <= TARGET_S,
      })),
      { metric: `anchor, ${ROWS} rows: wall (cpu ${anchor.cpuSeconds} s)`, value: anchor.seconds, unit: 's' },
    ],
    output_bytes: Object.fromEntries(Object.entries(runs).map(([n, r]) => [n, r.bytes])),
    worst_seconds: worst,
    worst_cpu_seconds: Math.max(...Object.values(runs).map((r) => r.cpuSeconds)),
    cpu_seconds: Object.fromEntries(Object.entries(runs).map(([n, r]) => [n, r.cpuSeconds])),
    load_average: { before: loadBefore, after: load() },
    cores: cpus().length,
    meets_target: worst <= TARGET_S,
    node: process.version,
    date: new Date().toISOString(),
  };
  writeFileSync(new URL('./results/forensics-report.json', import.meta.url), JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify(result, null, 2));
} finally {
  if (process.env.BENCH_KEEP_STATE || process.env.BENCH_STATE) console.log(`kept ${home}`);
  else rmSync(home, { recursive: true, force: true });
}
