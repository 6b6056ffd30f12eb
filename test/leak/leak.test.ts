// Whonix leak-test suite: root inside a workstation tries ≥ 40 vectors while tcpdump counts every packet at the uplinks and lab hosts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../../src/exec/index.js';
import { createNsRuntime } from '../../src/runtime/ns/index.js';
import { testDaemon } from '../integration/helpers/daemon.js';
import { Attacker } from './attacker.js';
import { labTorEndpoints } from './classify.js';
import { QUBE_ROOT_PY, sendAsTorUid, stopTor, torControl, torDeathNote, torPids, torUidOf } from './host.js';
import { readPcap, startTap, stopTap, type Tap, type TapPoint } from './observer.js';
import { formatDetails, formatTable, leakCount, newRow, sum, tally, verdict, type Row } from './report.js';
import { steps, type ChainAddrs, type HostAction } from './vectors.js';
import { TEST_TARBALL as TEMPLATE_TAR } from '../support/cache.js';

const WS = 'anon-whonix';
const SETTLE_MS = 500;
const d = testDaemon('leak');
const taps: Tap[] = [];
let attacker: Attacker | null = null;
let prefix = '';
const rows: Row[] = [];
const outside = newRow('(outside rows)', 'packets before the first or after the last row', 'outside', 0);
const uplinkLabels: string[] = [];
const hostLabels: string[] = [];
let torSeen = { gw: 0, hosts: 0 };

async function addrOf(netns: string, ifname: string): Promise<string> {
  const r = await run('ip', ['-n', netns, '-j', '-4', 'addr', 'show', 'dev', ifname]);
  const a = (JSON.parse(r.stdout) as { addr_info: { local: string }[] }[])[0]?.addr_info[0]?.local;
  if (!a) throw new Error(`${netns}/${ifname} has no IPv4 address`);
  return a;
}

/** The next hop of a namespace's default route (a qube's netvm address). */
async function nextHop(netns: string): Promise<string> {
  const r = await run('ip', ['-n', netns, '-j', 'route', 'show', 'default']);
  const via = (JSON.parse(r.stdout) as { gateway?: string }[])[0]?.gateway;
  if (!via) throw new Error(`${netns} has no default route`);
  return via;
}

async function initPid(name: string): Promise<number> {
  const st = await createNsRuntime().state(`${prefix}-${name}`);
  if (!st?.pid) throw new Error(`${name} is not running`);
  return st.pid;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** tor's supervisor in the gateway starts it again by itself: wait until it carries. */
async function restartTor(): Promise<string> {
  for (let i = 0; i < 60; i++) {
    const out = d.cli(['run', WS, '--', 'curl', '-sS', '-m', '5', 'http://192.0.2.10/ip'], undefined, 15_000).stdout.trim();
    if (/^203\.0\.113\./.test(out)) return out;
    await sleep(1000);
  }
  throw new Error('tor in the gateway did not carry traffic again within 60 s (its supervisor restarts it)');
}

/** Run one row: its window opens now and closes SETTLE_MS after the attempt ends. */
async function row(name: string, tried: string, kind: Row['kind'], fn: () => Promise<{ ok: boolean; note: string; breach?: string[] }>): Promise<Row> {
  const r = newRow(name, tried, kind, Date.now());
  try {
    const res = await fn();
    r.ok = res.ok;
    r.note = res.note;
    r.breach = res.breach ?? [];
  } catch (e) {
    r.ok = false;
    r.note = `error: ${(e as Error).message}`;
  }
  await sleep(SETTLE_MS);
  r.end = Date.now();
  rows.push(r);
  process.stderr.write(`leaktest: ${name} (${((r.end - r.start) / 1000).toFixed(1)} s)${r.ok ? '' : ' did not complete'}\n`);
  return r;
}

before(
  async () => {
    assert.ok(existsSync(TEMPLATE_TAR), `${TEMPLATE_TAR} is missing (scripts/test-rootfs makes it)`);
    d.start();
    d.ok(['template', 'import', 'debian-12', TEMPLATE_TAR], undefined, 300_000);
    d.ok(['lab', 'up'], undefined, 180_000);
    d.ok(['init', '--uplink', 'lab', '--whonix'], undefined, 900_000);
    d.ok(['features', WS, 'leaktest.caps', '1']);
    d.ok(['start', WS], undefined, 180_000);
    // Tor works before anything is tried: the web host sees an exit's address.
    let seen = '';
    for (let i = 0; i < 30 && !/^203\.0\.113\./.test(seen); i++) {
      seen = d.cli(['run', WS, '--', 'curl', '-sS', '-m', '10', 'http://192.0.2.10/ip'], undefined, 20_000).stdout.trim();
      if (!/^203\.0\.113\./.test(seen)) await sleep(1000);
    }
    assert.match(seen, /^203\.0\.113\./, 'the workstation fetches through Tor before the attack');

    const lab = JSON.parse(await readFile(join(d.home, 'lab', 'lab.json'), 'utf8')) as {
      prefix: string;
      uplinks: { netns: string; routerIfname: string; address: string }[];
      hosts: { name: string; netns: string; addresses: string[] }[];
    };
    prefix = lab.prefix;
    const ns = (q: string) => `${prefix}-${q}`;
    const uplink = lab.uplinks.find((u) => u.netns === ns('sys-net'));
    assert.ok(uplink, 'sys-net has a lab uplink');
    const chain: ChainAddrs = {
      gwUplink: await addrOf(ns('sys-whonix'), 'eth0'),
      firewall: await addrOf(ns('sys-firewall'), 'eth0'),
      sysnet: await nextHop(ns('sys-firewall')),
      sysnetUplink: uplink.address,
      routerUplink: '198.51.100.1',
    };
    const points: TapPoint[] = [
      { label: 'gw-eth0', kind: 'uplink', netns: ns('sys-whonix'), ifname: 'eth0', linkAddrs: [chain.gwUplink, chain.firewall], torSource: chain.gwUplink },
      {
        label: 'sysnet-eth0',
        kind: 'uplink',
        netns: ns('sys-net'),
        ifname: 'eth0',
        linkAddrs: [chain.sysnetUplink, chain.routerUplink],
        torSource: chain.sysnetUplink,
      },
      {
        label: `router-${uplink.routerIfname}`,
        kind: 'uplink',
        netns: ns('lab-router'),
        ifname: uplink.routerIfname,
        linkAddrs: [chain.sysnetUplink, chain.routerUplink],
        torSource: chain.sysnetUplink,
      },
    ];
    for (const h of lab.hosts.filter((x) => ['web', 'other', 'dns'].includes(x.name))) {
      points.push({ label: h.name, kind: 'host', netns: h.netns, ifname: 'eth0', linkAddrs: [...h.addresses, '192.0.2.1'] });
    }
    uplinkLabels.push(...points.filter((p) => p.kind === 'uplink').map((p) => p.label));
    hostLabels.push(...points.filter((p) => p.kind === 'host').map((p) => p.label));
    assert.deepEqual(hostLabels.sort(), ['dns', 'other', 'web']);

    const capDir = join(d.home, 'leaktest');
    await mkdir(capDir, { recursive: true });
    for (const p of points) taps.push(await startTap(p, capDir));

    const gwNs = ns('sys-whonix');
    // The admin's control password of this gateway start (root-only, in the admin's run directory).
    const password = (await readFile(join(d.home, 'run', 'whonix', 'sys-whonix', 'control-password'), 'utf8')).trim();
    const before = await torControl(gwNs, password, ['GETCONF SocksPort', 'GETCONF ExitNodes']);
    attacker = new Attacker(await initPid(WS));
    const setup = await attacker.call('setup', { ...chain });
    assert.ok(setup.ok, `attacker started: ${setup.note} ${attacker.stderr}`);

    const hostActions: Record<HostAction, () => Promise<{ ok: boolean; note: string; breach?: string[] }>> = {
      'qube-root': async () => {
        const r = d.cli(['run', '--user', 'root', WS, '--', 'python3', '-c', QUBE_ROOT_PY], undefined, 30_000);
        const granted = /NET_ADMIN=1 NET_RAW=1/.test(r.stdout);
        return { ok: r.code === 0 && granted, note: `${r.stdout.trim()}${granted ? '' : ' — leaktest.caps did not grant the capabilities'}${r.stderr.trim()}` };
      },
      'ipv6-on': async () => {
        // The qube's /proc/sys is a read-only mount; root with the kernel's privileges writes the sysctl anyway.
        await run('ip', [
          'netns',
          'exec',
          ns(WS),
          'sysctl',
          '-q',
          '-w',
          'net.ipv6.conf.all.disable_ipv6=0',
          'net.ipv6.conf.default.disable_ipv6=0',
          'net.ipv6.conf.eth0.disable_ipv6=0',
        ]);
        return { ok: true, note: 'disable_ipv6=0 on all, default, eth0' };
      },
      'ws-firewall-off': async () => {
        await run('ip', ['netns', 'exec', ns(WS), 'nft', 'flush', 'ruleset']);
        const left = (await run('ip', ['netns', 'exec', ns(WS), 'nft', 'list', 'ruleset'])).stdout.trim();
        return { ok: left === '', note: left === '' ? 'workstation ruleset flushed (empty)' : `ruleset still there: ${left.slice(0, 80)}` };
      },
      'control-effects': async () => {
        const pids = await torPids(gwNs);
        const now = await torControl(gwNs, password, ['GETCONF SocksPort', 'GETCONF ExitNodes', 'GETINFO onions/current', 'GETINFO address-mappings/control']);
        const breach: string[] = [];
        if (pids.length !== 1) breach.push(`tor is not running (${pids.length} processes): SIGNAL HALT reached it?`);
        for (const k of ['GETCONF SocksPort', 'GETCONF ExitNodes']) {
          if (JSON.stringify(now.get(k)) !== JSON.stringify(before.get(k))) breach.push(`${k} changed: ${JSON.stringify(now.get(k))}`);
        }
        const onions = (now.get('GETINFO onions/current') ?? []).filter((l) => /^250[-+ ]onions\/current=\S/.test(l) || /^[a-z2-7]{56}$/.test(l));
        if (onions.length) breach.push(`an onion service exists: ${onions.join(' ')}`);
        if ((now.get('GETINFO address-mappings/control') ?? []).some((l) => l.includes('10.40.40.40'))) breach.push('MAPADDRESS reached tor');
        return {
          ok: now.size === 4,
          note: `tor pid ${pids.join(',') || 'none'}; SocksPort ${JSON.stringify(now.get('GETCONF SocksPort')?.[0] ?? '?')}; onions/current ${JSON.stringify(now.get('GETINFO onions/current') ?? [])}`,
          breach,
        };
      },
      'stop-tor': async () => stopTor(gwNs),
    };

    // Rows: a quiet baseline, a control that must be counted, then the vectors.
    await row('quiet-baseline', "nothing (2 s): only tor's own traffic may appear", 'baseline', async () => {
      await sleep(2000);
      return { ok: true, note: 'idle' };
    });
    const torUid = await torUidOf(gwNs);
    await row(
      'observer-control',
      "a process with tor's uid in the gateway (host side) sends UDP and TCP to web: every point must count it",
      'control',
      async () => ({
        ok: true,
        note: await sendAsTorUid(gwNs, torUid, '192.0.2.10'),
      }),
    );
    let torStopped = false;
    for (const s of steps(chain)) {
      const torBefore = await torPids(gwNs);
      const r = await row(s.name, s.tried, 'vector', async () => {
        let hostNote = '';
        if (s.host) {
          const h = await hostActions[s.host]();
          if (!s.op || !h.ok) return h;
          hostNote = `${h.note}; `;
        }
        const res = await attacker!.call(s.op!, s.args ?? {});
        return { ...res, note: hostNote + res.note };
      });
      if (s.host === 'stop-tor') torStopped = true;
      if (torStopped || torBefore.length !== 1) continue;
      if ((await torPids(gwNs)).length === 0) {
        // Not a leak, but the workstation took the gateway down: record it, then bring tor back for the next vectors.
        r.torDied = `${await torDeathNote(await initPid('sys-whonix'))}; restarted, carries again (exit ${await restartTor()})`;
      }
    }

    await attacker.stop();
    for (const t of taps) await stopTap(t);
    const tor = labTorEndpoints();
    const captures = await Promise.all(taps.map(async (t) => ({ point: t as TapPoint, packets: await readPcap(t.file) })));
    tally(rows, outside, captures, tor);
    rows.push(outside);
    torSeen = {
      gw: rows.reduce((n, r) => n + (r.cells.get('gw-eth0')?.tor ?? 0), 0),
      hosts: rows.reduce((n, r) => n + sum(r, hostLabels, 'tor'), 0),
    };
    const report = [
      `Whonix leak test: ${rows.filter((r) => r.kind === 'vector').length} vectors, observer at ${[...uplinkLabels, ...hostLabels].join(', ')}`,
      `(uplink leaked per point = ${uplinkLabels.join('/')}: packets that are not tor's own TCP to the lab relays' ORPort/DirPort or a stream an exit opened;`,
      ' hosts leaked = packets at web/other/dns that are not to or from a Tor node; tor = packets tor carried)',
      formatTable(rows, uplinkLabels, hostLabels),
      '',
      formatDetails(rows),
    ].join('\n');
    process.stdout.write(`\n${report}\n`);
    if (process.env.LEAKTEST_REPORT) await writeFile(process.env.LEAKTEST_REPORT, report + '\n');
  },
  { timeout: 600_000 },
);

after(async () => {
  await attacker?.stop().catch(() => undefined);
  for (const t of taps) await stopTap(t).catch(() => undefined);
  if (existsSync(join(d.home, 'admin', 'admin.sock'))) {
    d.cli(['kill', WS, 'sys-whonix', 'sys-firewall', 'sys-net'], undefined, 60_000);
    d.cli(['lab', 'down'], undefined, 60_000);
  }
  await d.destroy();
  if (prefix) {
    const left = (await run('ip', ['netns', 'list'])).stdout.split('\n').filter((l) => l.startsWith(`${prefix}-`));
    assert.deepEqual(left, [], 'every namespace of the run is gone');
  }
});

test('the observer counts a packet that goes around the gateway, and sees tor carry the workstation', () => {
  const control = rows.find((r) => r.kind === 'control');
  assert.ok(control, 'the control row ran');
  assert.equal(verdict(control, uplinkLabels, hostLabels), 'counted', `control row: ${JSON.stringify([...control.cells])}`);
  assert.ok(torSeen.gw > 0, "tor's own packets were seen on the gateway's uplink");
  assert.ok(torSeen.hosts > 0, 'exit traffic was seen at the lab hosts');
});

test('at least 40 vectors ran to completion', () => {
  const vectors = rows.filter((r) => r.kind === 'vector');
  assert.ok(vectors.length >= 40, `${vectors.length} vectors`);
  const failed = vectors.filter((r) => !r.ok).map((r) => `${r.name}: ${r.note}`);
  assert.deepEqual(failed, [], 'every vector was carried out');
});

test("the gateway's tor survives every vector (a crash is a denial of service, not a leak)", () => {
  const deaths = rows.filter((r) => r.torDied).map((r) => `${r.name}: ${r.torDied}`);
  assert.deepEqual(deaths, []);
});

test('no vector reached what it must not (tor control, other listener blocks, a clearnet source at the web host)', () => {
  const breaches = rows.flatMap((r) => r.breach.map((b) => `${r.name}: ${b}`));
  assert.deepEqual(breaches, []);
});

test("zero leaked packets: nothing but tor's own traffic at the uplinks and the lab hosts", () => {
  const leaking = rows.filter((r) => r.kind !== 'control' && leakCount(r) > 0).map((r) => `${r.name}: ${leakCount(r)} (${r.leaks.slice(0, 3).join('; ')})`);
  assert.deepEqual(leaking, []);
});
