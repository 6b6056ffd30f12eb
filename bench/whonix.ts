// Benchmark of the Whonix part: from nothing to a page fetched through Tor by a workstation (daemon, template import, lab with its Tor network, init --whonix, start, fetch), a second workstation's first fetch, and memory of the gateway and of the lab.
import { mkdirSync, readFileSync, readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { TEMPLATE_TARBALL, crunState } from '../test/integration/core-fixture.js';
import { testDaemon, type TestDaemon } from '../test/integration/helpers/daemon.js';
import { forceRemoveNetns } from '../test/integration/net-fixture.js';
import { NETVM_ORDER as WORKSTATION_ORDER } from '../test/integration/net-fixture.js';
import { cgroupDirs, detectCgroupLayout } from '../src/runtime/ns/cgroups.js';

const RUNS = Number(process.env.BENCH_WHONIX_RUNS ?? 3);
const TARGET_COLD_S = 45;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};
const r1 = (n: number) => Number(n.toFixed(1));

function rssKb(pid: number): number {
  try {
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}
function anonKb(pid: number): number {
  try {
    return Number(/^RssAnon:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}
const comm = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
};

/** Memory charged to a qube's cgroup (v1 memory.usage_in_bytes or v2 memory.current), bytes. */
function cgroupMemory(id: string): number {
  const layout = detectCgroupLayout();
  for (const dir of cgroupDirs(layout, `/bulkhead/${id}`)) {
    for (const f of ['memory.current', 'memory.usage_in_bytes']) {
      if (layout !== 'v2' && !dir.includes('/memory/')) continue;
      try {
        return Number(readFileSync(`${dir}/${f}`, 'utf8').split(' ')[0]);
      } catch {
        /* next */
      }
    }
  }
  return NaN;
}

function step(d: TestDaemon, args: string[], timeoutMs = 600_000): number {
  const t = performance.now();
  d.ok(args, undefined, timeoutMs);
  return performance.now() - t;
}

/** curl through Tor until it answers with an exit's address; ms until then. */
function firstFetch(d: TestDaemon, ws: string, exits: string[]): { ms: number; tries: number; saw: string } {
  const t = performance.now();
  for (let tries = 1; performance.now() - t < 120_000; tries++) {
    const r = d.cli(['run', ws, '--', 'curl', '-sS', '--max-time', '10', 'http://web.lab.test/ip'], undefined, 30_000);
    if (r.code === 0 && exits.includes(r.stdout.trim())) return { ms: performance.now() - t, tries, saw: r.stdout.trim() };
  }
  throw new Error(`${ws}: no page through Tor within 120 s`);
}

async function teardown(d: TestDaemon, prefix: string | null): Promise<void> {
  const ls = d.cli(['ls', '--json']);
  if (ls.code === 0) {
    const qubes = JSON.parse(ls.stdout) as { name: string; state: string; klass: string }[];
    for (const q of qubes
      .filter((x) => !/^halted$/i.test(x.state) && x.klass !== 'AdminVM')
      .sort((a, b) => WORKSTATION_ORDER(a.name) - WORKSTATION_ORDER(b.name)))
      d.cli(['kill', q.name]);
  }
  d.cli(['lab', 'down']);
  await d.destroy();
  if (prefix) forceRemoveNetns(prefix);
}

async function oneRun(i: number): Promise<Record<string, number | string>> {
  const d = testDaemon(`wxbench${i}`);
  let prefix: string | null = null;
  try {
    const t0 = performance.now();
    const daemonMs = step(d, ['daemon', 'start']);
    const importMs = step(d, ['template', 'import', 'debian-12', TEMPLATE_TARBALL]);
    const labMs = step(d, ['lab', 'up']);
    const initMs = step(d, ['init', '--uplink', 'lab', '--whonix']);
    const startMs = step(d, ['start', 'anon-whonix']);
    const exits = (JSON.parse(readFileSync(`${d.home}/lab/tor-network.json`, 'utf8')) as { exitAddresses: string[] }).exitAddresses;
    const fetch = firstFetch(d, 'anon-whonix', exits);
    const coldMs = performance.now() - t0;
    prefix = (JSON.parse(d.ok(['lab', 'status', '--json'])) as { prefix: string }).prefix;

    // A second workstation once the network is up: create + start + first fetch.
    const t1 = performance.now();
    d.ok(['create', 'anon2', '--template', 'whonix-ws', '--label', 'red', '--prop', 'netvm=sys-whonix']);
    d.ok(['tags', 'anon2', 'add', 'anon-vm']);
    const start2Ms = step(d, ['start', 'anon2']);
    const fetch2 = firstFetch(d, 'anon2', exits);
    const second = performance.now() - t1;

    // Memory, after both workstations fetched.
    await new Promise((r) => setTimeout(r, 2000));
    const gwId = `${prefix}-sys-whonix`;
    const gwInit = crunState(gwId)?.pid ?? 0;
    if (!gwInit) throw new Error('sys-whonix is not running');
    const pidns = readlinkSync(`/proc/${gwInit}/ns/pid`);
    const torPids = readdirSync('/proc')
      .filter((e) => /^\d+$/.test(e))
      .map(Number)
      .filter((p) => {
        try {
          return comm(p) === 'tor' && readlinkSync(`/proc/${p}/ns/pid`) === pidns;
        } catch {
          return false;
        }
      });
    const filterPid = Number(readFileSync(`${d.home}/run/whonix/sys-whonix/control-filter.pid`, 'utf8').split(' ')[0]);
    // The lab: every process whose network namespace is one of the lab's (tor nodes, obfs4proxy, onion page server, web and DNS servers).
    const lab = JSON.parse(d.ok(['lab', 'status', '--json'])) as { hosts: { netns: string }[] };
    const nsOf = (p: number) => {
      try {
        return readlinkSync(`/proc/${p}/ns/net`);
      } catch {
        return '';
      }
    };
    const netnsInode = (ns: string) => {
      try {
        return `net:[${statSync(`/run/netns/${ns}`).ino}]`;
      } catch {
        return '';
      }
    };
    const labNs = new Set(lab.hosts.map((h) => netnsInode(h.netns)));
    const labProcs = readdirSync('/proc')
      .filter((e) => /^\d+$/.test(e))
      .map(Number)
      .filter((p) => labNs.has(nsOf(p)));
    const byComm = (name: string) => labProcs.filter((p) => comm(p) === name);
    const torNodes = byComm('tor');
    const others = labProcs.filter((p) => comm(p) !== 'tor');
    const sum = (ps: number[]) => ps.reduce((n, p) => n + rssKb(p), 0) / 1024;
    return {
      coldToFirstFetchS: r1(coldMs / 1000),
      daemonStartS: r1(daemonMs / 1000),
      templateImportS: r1(importMs / 1000),
      labUpS: r1(labMs / 1000),
      initWhonixS: r1(initMs / 1000),
      startAnonWhonixS: r1(startMs / 1000),
      firstFetchS: r1(fetch.ms / 1000),
      firstFetchTries: fetch.tries,
      secondWorkstationS: r1(second / 1000),
      secondStartS: r1(start2Ms / 1000),
      secondFirstFetchS: r1(fetch2.ms / 1000),
      gatewayCgroupMiB: r1(cgroupMemory(gwId) / 1048576),
      gatewayTorRssMiB: r1(sum(torPids)),
      gatewayTorAnonMiB: r1(torPids.reduce((n, p) => n + anonKb(p), 0) / 1024),
      gatewayTorPids: torPids.length,
      controlFilterRssMiB: r1(sum([filterPid])),
      labTorNodes: torNodes.length,
      labTorNodesRssMiB: r1(sum(torNodes)),
      labOtherProcs: others
        .map((p) => comm(p))
        .sort()
        .join('+'),
      labOtherRssMiB: r1(sum(others)),
      labTotalRssMiB: r1(sum(labProcs)),
    };
  } finally {
    await teardown(d, prefix);
  }
}

async function main(): Promise<void> {
  const runs: Record<string, number | string>[] = [];
  for (let i = 0; i < RUNS; i++) {
    runs.push(await oneRun(i));
    process.stderr.write(`run ${i + 1}/${RUNS}: ${JSON.stringify(runs[runs.length - 1])}\n`);
  }
  const m = (k: string) => median(runs.map((r) => Number(r[k])));
  const cold = m('coldToFirstFetchS');
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    benchmark: 'Whonix: cold start to a page through Tor, second workstation, memory',
    machine: { cpus: cpus().length, loadavg1AtEnd: Number(loadavg()[0]?.toFixed(2)) },
    runs,
    summary: [
      {
        metric: `nothing → page through Tor from anon-whonix (daemon, template import, lab + Tor network, init --whonix, start, fetch), median of ${RUNS}`,
        value: cold,
        unit: 's',
        target: `≤ ${TARGET_COLD_S} s`,
        meets: cold <= TARGET_COLD_S,
      },
      { metric: '  of which: lab up (lab world + private Tor network)', value: m('labUpS'), unit: 's' },
      { metric: '  of which: init --uplink lab --whonix (templates from cache)', value: m('initWhonixS'), unit: 's' },
      {
        metric: '  of which: start anon-whonix (sys-net, sys-firewall, sys-whonix with tor, anon-whonix) + first fetch',
        value: r1(m('startAnonWhonixS') + m('firstFetchS')),
        unit: 's',
      },
      { metric: 'second workstation: create + start + first page through Tor', value: m('secondWorkstationS'), unit: 's' },
      { metric: 'second workstation: first page through Tor after its start', value: m('secondFirstFetchS'), unit: 's' },
      {
        metric: 'gateway memory: sys-whonix cgroup charge / tor RSS (anonymous part) / control filter RSS (host side)',
        value: `${m('gatewayCgroupMiB')} / ${m('gatewayTorRssMiB')} (${m('gatewayTorAnonMiB')}) / ${m('controlFilterRssMiB')}`,
        unit: 'MiB',
      },
      {
        metric: `lab memory (RSS of every process in the lab's namespaces): ${runs[0]?.['labTorNodes']} tor nodes + ${runs[0]?.['labOtherProcs']} = total`,
        value: `${m('labTorNodesRssMiB')} + ${m('labOtherRssMiB')} = ${m('labTotalRssMiB')}`,
        unit: 'MiB',
      },
    ],
  };
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/whonix.json', import.meta.url), JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(JSON.stringify(result.summary, null, 2) + '\n');
}

await main();
