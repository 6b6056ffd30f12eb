// Benchmark of amnesic disposables: disposable end to end (create, start, run true, destroy) through the API, amnesic and not; writes bench/results/forensics-amnesic.json.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { coreDaemon, TEMPLATE_TARBALL, type CoreDaemon } from '../test/integration/core-fixture.js';
import { killLeftovers } from '../test/integration/helpers/daemon.js';
import { apiExec } from '../test/integration/helpers/api-exec.js';

const ROUNDS = Number(process.env.BENCH_DISP_ROUNDS ?? 30);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Number((s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN).toFixed(2));
};
const stats = (xs: number[]) => ({ p50: pct(xs, 50), p95: pct(xs, 95), min: pct(xs, 0), n: xs.length });

async function once(template: string, home: string): Promise<number> {
  process.env.BULKHEAD_HOME = home;
  const t0 = performance.now();
  const code = await apiExec('/dispvms/exec', { template, argv: ['true'] });
  if (code !== 0) throw new Error(`disposable true exited ${code}`);
  return performance.now() - t0;
}

async function rounds(template: string, home: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < ROUNDS; i++) out.push(await once(template, home));
  return out;
}

/**
 * BENCH_BASELINE=DIR (a built checkout of the code before amnesic disposables): a second daemon
 * from it, and rounds alternating between the two, so both see the same load on a shared machine.
 */
async function baseline(dir: string, d: CoreDaemon): Promise<{ before: number[]; after: number[] }> {
  const home = mkdtempSync(`/var/tmp/${process.env.BULKHEAD_TEST_RUN ?? 'bhb'}-amnesic-base-`);
  const env = { ...process.env, BULKHEAD_HOME: home };
  const cli = (args: string[]) => {
    const r = spawnSync(join(dir, 'bin', 'bulkhead'), args, { env, encoding: 'utf8', timeout: 300_000 });
    if (r.status !== 0) throw new Error(`baseline bulkhead ${args.join(' ')}: ${r.stderr}`);
  };
  try {
    cli(['daemon', 'start']);
    cli(['template', 'import', 'debian-12', TEMPLATE_TARBALL]);
    cli(['create', 'bdvm', '--template', 'debian-12', '--label', 'red', '--prop', 'template_for_dispvms=true', '--prop', 'private_size=64M']);
    await rounds('bdvm', home);
    const before: number[] = [];
    const after: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      before.push(await once('bdvm', home));
      after.push(await once('bdvm', d.home));
    }
    return { before, after };
  } finally {
    spawnSync(join(dir, 'bin', 'bulkhead'), ['daemon', 'stop'], { env, timeout: 60_000 });
    await killLeftovers(home);
    rmSync(home, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const loadBefore = (await import('node:fs')).readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const d = await coreDaemon('amnesic');
  try {
    d.ok(['create', 'bdvm', '--template', 'debian-12', '--label', 'red', '--prop', 'template_for_dispvms=true', '--prop', 'private_size=64M']);
    const hasAmnesic = d.cli(['prefs', 'bdvm', 'amnesic']).code === 0;
    await rounds('bdvm', d.home); // warm-up: page cache, seccomp compile
    const amnesic = await rounds('bdvm', d.home);
    let onDisk: number[] | null = null;
    if (hasAmnesic) {
      d.ok([
        'create',
        'bdvm-disk',
        '--template',
        'debian-12',
        '--label',
        'red',
        '--prop',
        'template_for_dispvms=true',
        '--prop',
        'private_size=64M',
        '--prop',
        'amnesic=false',
      ]);
      onDisk = await rounds('bdvm-disk', d.home);
    }
    const ab = process.env.BENCH_BASELINE ? await baseline(process.env.BENCH_BASELINE, d) : null;
    {
    }
    const loadAfter = (await import('node:fs')).readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    const result = {
      benchmark: 'disposable end to end (create, start, run true, destroy) through the API',
      rounds: ROUNDS,
      hasAmnesicProperty: hasAmnesic,
      loadavgBefore: loadBefore,
      loadavgAfter: loadAfter,
      summary: [
        {
          metric: `disposable end to end, ${hasAmnesic ? 'amnesic (default)' : 'as built'}, API, p50 / p95`,
          value: `${stats(amnesic).p50} / ${stats(amnesic).p95}`,
          unit: 'ms',
        },
        ...(onDisk
          ? [
              {
                metric: 'disposable end to end, amnesic=false (private volume an ext4 image), API, p50 / p95',
                value: `${stats(onDisk).p50} / ${stats(onDisk).p95}`,
                unit: 'ms',
              },
            ]
          : []),
        ...(ab
          ? [
              {
                metric: 'disposable end to end, before → after amnesic disposables (alternating rounds, same load), API, p50',
                value: `${stats(ab.before).p50} → ${stats(ab.after).p50}`,
                unit: 'ms',
                target: 'after ≤ 1.1 × before',
                meets: stats(ab.after).p50 <= 1.1 * stats(ab.before).p50,
              },
            ]
          : []),
      ],
      ...(ab ? { beforeMs: stats(ab.before), afterMs: stats(ab.after) } : {}),
      amnesicMs: stats(amnesic),
      ...(onDisk ? { onDiskMs: stats(onDisk) } : {}),
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    if (process.env.BENCH_OUT !== '-') writeFileSync(new URL('./results/forensics-amnesic.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await d.destroy();
  }
}

await main();
