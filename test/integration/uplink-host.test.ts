// sys-net on the host's network, against a sim-host namespace that stands for the host: exclusive (the NIC moves into sys-net, DHCP) and nat (veth, masquerade in bulkhead's own table), stop/start, failures half-way, refusals.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { coreDaemon, type CoreDaemon } from './core-fixture.js';
import { forceRemoveNetns, NETVM_ORDER, nsAddress } from './net-fixture.js';
import { DHCP_RANGE, HOST_ADDR, simHost, WEB_NAME, type SimHost } from './helpers/sim-host.js';
import { inspectNetns } from '../../src/net/index.js';

const RUN = process.env.BULKHEAD_TEST_RUN ?? `bht${randomBytes(2).toString('hex')}`;

function initNetnsView(prefix: string): { links: string[]; tables: string[]; forward: string } {
  const links = (JSON.parse(spawnSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' }).stdout) as { ifname: string }[])
    .map((l) => l.ifname)
    .filter((n) => n.includes(prefix) || n.includes(RUN.slice(0, 11)));
  const tables = spawnSync('nft', ['list', 'tables'], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((t) => t.includes(prefix));
  const forward = spawnSync('sysctl', ['-n', 'net.ipv4.ip_forward'], { encoding: 'utf8' }).stdout.trim();
  return { links, tables, forward };
}

describe('host uplink: sys-net on a sim-host', { timeout: 300_000 }, () => {
  let d: CoreDaemon;
  let sim: SimHost;
  let clean = '';
  let initBefore: ReturnType<typeof initNetnsView>;
  const ns = (q: string) => `${d.prefix}-${q}`;
  const fail = (args: string[], re: RegExp) => {
    const r = d.cli(args);
    assert.notEqual(r.code, 0, `bulkhead ${args.join(' ')} succeeded: ${r.stdout}`);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  };
  const shutdownAll = () => d.ok(['shutdown', '--all', '--timeout', '30']);
  const restartDaemon = (env: Record<string, string | undefined>) => {
    d.stop();
    Object.assign(d.env, env);
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete d.env[k];
    d.start();
  };
  const qrun = (q: string, argv: string[]) => d.cli(['run', q, '--', ...argv], undefined, 60_000);
  const qrunRoot = (q: string, argv: string[]) => d.cli(['run', '--user', 'root', q, '--', ...argv], undefined, 60_000);
  const fetchPage = () => qrun('work', ['curl', '-sS', '--max-time', '10', `http://${WEB_NAME}/`]);
  const fetchIp = () => qrun('work', ['curl', '-sS', '--max-time', '10', `http://${WEB_NAME}/ip`]);

  /** Every veth of the sim-host, its LAN and sys-net ends in a namespace of this run or this daemon; every route leaves through a link of that namespace. */
  const assertSealed = async () => {
    for (const n of [sim.netns, sim.lan, ns('sys-net')]) {
      const inv = await inspectNetns(n);
      for (const l of inv.links) {
        assert.ok(l.kind === 'loopback' || l.kind === 'veth', `${n}: ${l.ifname} is a ${l.kind}`);
        if (l.kind !== 'veth') continue;
        const place = l.peer?.place;
        assert.ok(
          place?.kind === 'named' && (place.netns.startsWith(RUN) || place.netns.startsWith(`${d.prefix}-`)),
          `${n}: the peer of ${l.ifname} is in ${JSON.stringify(place)}`,
        );
      }
      const names = new Set(inv.links.map((l) => l.ifname));
      for (const r of inv.routes4 as { dev?: string }[]) assert.ok(!r.dev || names.has(r.dev), `${n}: route via ${r.dev}`);
    }
  };

  before(async () => {
    sim = await simHost(RUN);
    initBefore = initNetnsView('__none__');
    process.env.BULKHEAD_HOST_NETNS = sim.netns;
    try {
      d = await coreDaemon('uplink');
    } finally {
      delete process.env.BULKHEAD_HOST_NETNS;
    }
    clean = sim.snapshot();
    initBefore = initNetnsView(d.prefix);
  });

  after(async () => {
    if (d) {
      const ls = d.cli(['ls', '--json']);
      if (ls.code === 0) {
        const up = (JSON.parse(ls.stdout) as { name: string; state: string; klass: string }[]).filter(
          (q) => !/^halted$/i.test(q.state) && q.klass !== 'AdminVM',
        );
        // Netvms last, so sys-net's stop gives the NIC back before anything else goes.
        for (const q of up.sort((a, b) => NETVM_ORDER(a.name) - NETVM_ORDER(b.name))) d.cli(['kill', q.name]);
      }
      d.cli(['lab', 'down']);
      const prefix = d.prefix;
      await d.destroy();
      if (prefix) forceRemoveNetns(prefix);
    }
    sim?.destroy();
  });

  it('refuses bad options, a host without a default route and an unknown NIC, changing nothing', () => {
    fail(['init', '--uplink', 'host', '--mode', 'bridge'], /--mode: 'bridge' is not nat or exclusive/);
    fail(['init', '--uplink', 'host', '--mode', 'nat', '--address', '10.201.0.9/24', '--gateway', '10.201.0.1'], /only for --mode exclusive/);
    fail(['init', '--uplink', 'lab', '--nic', sim.nic], /options of --uplink host/);
    fail(['init', '--uplink', 'host', '--nic', 'nosuch0'], /has no interface nosuch0/);
    spawnSync('ip', ['-n', sim.netns, 'route', 'del', 'default']);
    try {
      fail(['init', '--uplink', 'host'], new RegExp(`the host namespace ${sim.netns} has no default route`));
    } finally {
      spawnSync('ip', ['-n', sim.netns, 'route', 'add', 'default', 'via', '10.201.0.1', 'dev', sim.nic, 'metric', '100']);
    }
    assert.equal(d.cli(['ls', '--json']).stdout.includes('sys-net'), false, 'no sys-net made');
    assert.equal(sim.snapshot(), clean);
  });

  it('exclusive: the NIC moves into sys-net, which gets a DHCP lease; a qube behind sys-firewall fetches the LAN page', async () => {
    const out = d.ok(['init', '--uplink', 'host']);
    assert.match(out, new RegExp(`sys-net uplink = host ${sim.nic} \\(exclusive, DHCP\\)`));
    // The daemon is restarted below (fault points): its autostart must not start sys-net behind the test's back.
    for (const q of ['sys-net', 'sys-firewall']) d.ok(['prefs', q, 'autostart', 'false']);
    d.ok(['create', 'work', '--template', 'debian-12', '--label', 'blue']);
    d.ok(['start', 'work']);
    // The sim-host has only lo left, and no route at all: the admin side keeps no network.
    const links = JSON.parse(spawnSync('ip', ['-n', sim.netns, '-j', 'link', 'show'], { encoding: 'utf8' }).stdout) as { ifname: string }[];
    assert.deepEqual(
      links.map((l) => l.ifname),
      ['lo'],
    );
    assert.equal(spawnSync('ip', ['-n', sim.netns, '-4', 'route', 'show', 'table', 'main'], { encoding: 'utf8' }).stdout.trim(), '');
    const addr = nsAddress(ns('sys-net'), 'eth0');
    assert.ok(addr && addr >= DHCP_RANGE[0] && addr <= DHCP_RANGE[1], `sys-net's DHCP address ${addr}`);
    await assertSealed();
    const page = fetchPage();
    assert.equal(page.code, 0, page.stderr);
    assert.match(page.stdout, /bulkhead lab/);
    const seen = fetchIp();
    assert.equal(seen.stdout.trim(), addr, "the web host saw sys-net's leased address");
    // Nothing in the daemon's own namespace.
    assert.deepEqual(initNetnsView(d.prefix), initBefore);
  });

  it('refuses the NIC while a running sys-net holds it', () => {
    fail(
      ['init', '--uplink', 'host', '--nic', sim.nic],
      new RegExp(`${sim.nic} on the host namespace ${sim.netns} is in use by the running sys-net \\(exclusive uplink\\)`),
    );
  });

  it('stop of sys-net gives the NIC back under its name, with its address and routes; start takes it again', () => {
    shutdownAll();
    assert.equal(sim.snapshot(), clean);
    d.ok(['start', 'work']);
    assert.equal(spawnSync('ip', ['-n', sim.netns, 'link', 'show', sim.nic]).status, 1, 'the NIC left the sim-host again');
    assert.equal(fetchPage().code, 0);
    // A daemon restart in between: the stop still knows what to give back.
    restartDaemon({});
    shutdownAll();
    assert.equal(sim.snapshot(), clean);
  });

  it('exclusive with static settings: address, gateway and resolver as given', () => {
    const out = d.ok(['init', '--uplink', 'host', '--address', '10.201.0.9/24', '--gateway', '10.201.0.1', '--dns', '10.201.0.1']);
    assert.match(out, new RegExp(`sys-net uplink = host ${sim.nic} \\(exclusive, static 10.201.0.9/24 via 10.201.0.1, dns 10.201.0.1\\)`));
    d.ok(['start', 'work']);
    assert.equal(nsAddress(ns('sys-net'), 'eth0'), '10.201.0.9');
    assert.equal(fetchIp().stdout.trim(), '10.201.0.9');
    shutdownAll();
    assert.equal(sim.snapshot(), clean);
    d.ok(['init', '--uplink', 'host']);
  });

  it('exclusive: a failure half-way (after the move) leaves the sim-host as it was', () => {
    restartDaemon({ BULKHEAD_TEST_UPLINK_FAULT: 'exclusive-configured' });
    fail(['start', 'sys-net'], /fault injected at exclusive-configured/);
    assert.equal(sim.snapshot(), clean);
    assert.equal(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.includes(ns('sys-net')), false, "sys-net's namespace is gone");
  });

  it('nat: the host keeps its NIC; sys-net is masqueraded out of it through the host table; stop restores the sim-host', async () => {
    restartDaemon({ BULKHEAD_TEST_UPLINK_FAULT: undefined });
    const out = d.ok(['init', '--uplink', 'host', '--mode', 'nat']);
    assert.match(out, new RegExp(`sys-net uplink = host ${sim.nic} \\(nat\\)`));
    d.ok(['start', 'work']);
    const snap = JSON.parse(sim.snapshot()) as { links: { ifname: string }[]; addrs: string[]; nft: string; forward: string };
    assert.deepEqual(
      snap.links.map((l) => l.ifname).sort(),
      ['lo', sim.nic, `${d.prefix}-u${/-u(\d+)/.exec(snap.links.map((l) => l.ifname).join(' '))?.[1]}`].sort(),
    );
    assert.ok(
      snap.addrs.some((a) => a.startsWith(`${sim.nic} ${HOST_ADDR}/24`)),
      'the host kept its address',
    );
    assert.match(snap.nft, new RegExp(`table ip ${d.prefix}_uplink`));
    assert.match(snap.nft, /masquerade/);
    assert.equal(snap.forward, '1');
    await assertSealed();
    const page = fetchPage();
    assert.equal(page.code, 0, page.stderr);
    assert.match(page.stdout, /bulkhead lab/);
    assert.equal(fetchIp().stdout.trim(), HOST_ADDR, "the web host saw the sim-host's address (masquerade)");
    assert.deepEqual(initNetnsView(d.prefix), initBefore);
    // Nothing behind the uplink reaches the host's own services: a listener on every address of the sim-host answers inside it only.
    const port = String(18000 + Math.floor(Math.random() * 1000));
    const listener = spawn('ip', ['netns', 'exec', sim.netns, 'nc', '-lk', '-p', port], { stdio: 'ignore' });
    const lanListener = spawn('ip', ['netns', 'exec', sim.lan, 'nc', '-lk', '-p', port], { stdio: 'ignore' });
    try {
      let ok = 1;
      for (let i = 0; i < 40 && ok !== 0; i++) {
        ok = spawnSync('ip', ['netns', 'exec', sim.netns, 'nc', '-z', '-w', '1', HOST_ADDR, port]).status ?? 1;
        if (ok !== 0) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(ok, 0, 'positive control: the listener accepts inside the sim-host');
      // Positive control of the probe itself: the same probe from the same qubes reaches a listener on the LAN.
      const lanCtl = qrun('work', ['nc', '-z', '-w', '3', '10.201.0.1', port]);
      assert.equal(lanCtl.code, 0, `positive control: work reaches the LAN listener: ${lanCtl.stderr}`);
      const lanCtl2 = qrunRoot('sys-net', ['nc', '-z', '-w', '3', '10.201.0.1', port]);
      assert.equal(lanCtl2.code, 0, `positive control: sys-net reaches the LAN listener: ${lanCtl2.stderr}`);
      // From a qube behind sys-firewall (its path to the host's veth is open up to the host's input hook) and from sys-net itself.
      for (const a of ['10.139.254.1', HOST_ADDR]) {
        const r = qrun('work', ['nc', '-z', '-w', '1', a, port]);
        assert.notEqual(r.code, 0, `work reached the host's listener on ${a}`);
        const s = qrunRoot('sys-net', ['nc', '-z', '-w', '1', a, port]);
        assert.notEqual(s.code, 0, `sys-net reached the host's listener on ${a}`);
      }
    } finally {
      for (const l of [listener, lanListener]) if (l.pid) process.kill(l.pid, 'SIGKILL');
    }
    shutdownAll();
    assert.equal(sim.snapshot(), clean, 'ip_forward back to 0, table, veth and routes gone');
  });

  it('nat: a failure half-way (table loaded, forwarding not yet on) leaves the sim-host as it was', () => {
    restartDaemon({ BULKHEAD_TEST_UPLINK_FAULT: 'nat-forward' });
    fail(['start', 'sys-net'], /fault injected at nat-forward/);
    assert.equal(sim.snapshot(), clean);
  });

  it('refuses a host side that is the lab', () => {
    // The lab's router namespace, by its name (the lab need not be up for the host side to be refused).
    restartDaemon({ BULKHEAD_TEST_UPLINK_FAULT: undefined, BULKHEAD_HOST_NETNS: `${d.prefix}-lab-router` });
    fail(['init', '--uplink', 'host', '--nic', 'eth0'], /is the lab, not a host/);
    assert.equal(sim.snapshot(), clean);
    assert.deepEqual(initNetnsView(d.prefix), initBefore);
  });
});
