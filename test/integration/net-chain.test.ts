// Acceptance of the network chain through the real daemon and CLI: lab page and DNS through sys-firewall and sys-net, firewall verdicts and counters, anti-spoofing, qube isolation, netvm changes, expiry, fail-closed loading.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { forceRemoveNetns, hostNftTables, ICMP_ECHO_PY, leftovers, netDaemon, nftCounter, nsAddress, type NetDaemon } from './net-fixture.js';

const RUN = process.env.BULKHEAD_TEST_RUN ?? `bht${randomBytes(2).toString('hex')}`;
/** A namespace the test makes itself, connected to nothing (its address sits on its own lo): the "host side" listener that no qube may reach. */
const ISLAND = `${RUN}-netisland`;
const ISLAND_ADDR = '10.199.77.1';
const WEB = '192.0.2.10';
const OTHER = '192.0.2.20';

describe('network chain: work → sys-firewall → sys-net → lab', { timeout: 900_000 }, () => {
  let d: NetDaemon;
  let prefix = '';
  let tablesBefore: string[] = [];
  const procs: ChildProcess[] = [];
  let hostServer: net.Server | null = null;

  const curl = (qube: string, url: string, extra: string[] = []) => {
    const t0 = Date.now();
    const r = d.run(qube, ['curl', '-sS', '--max-time', '10', ...extra, url]);
    return { ...r, ms: Date.now() - t0 };
  };
  const fw = (qube: string, ...args: string[]) => d.cli(['firewall', qube, ...args]);
  const fwList = (qube: string) => JSON.parse(d.ok(['firewall', qube, 'list', '--json'])) as string[];
  const fwCounter = (name: string) => nftCounter(d.ns('sys-firewall'), name);

  before(async () => {
    tablesBefore = hostNftTables();
    d = await netDaemon('netchain');
    prefix = d.prefix;
    d.ok(['create', 'work', '--template', 'debian-12', '--label', 'blue']);
    d.ok(['create', 'personal', '--template', 'debian-12', '--label', 'green']);
    d.ok(['create', 'vault', '--template', 'debian-12', '--label', 'black', '--prop', 'netvm=']);
    d.ok(['start', 'work', 'personal', 'vault']);
  });

  const teardown = async () => {
    for (const p of procs)
      if (p.exitCode === null && p.pid) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    hostServer?.close();
    spawnSync('ip', ['netns', 'delete', ISLAND], { timeout: 10_000 });
    await d?.teardown();
  };

  after(async () => {
    await teardown();
    if (prefix) forceRemoveNetns(prefix);
  });

  it('fetches the lab page through sys-firewall and sys-net, masqueraded at sys-net', () => {
    const page = curl('work', 'http://web.lab.test/');
    assert.equal(page.code, 0, page.stderr);
    assert.match(page.stdout, /bulkhead lab/);
    // The route really goes through the chain: work's default route is its netvm (sys-firewall), whose is sys-net.
    const fwAddr = nsAddress(d.ns('sys-firewall'), 'eth0');
    const route = d.run('work', ['ip', 'route', 'show', 'default']);
    assert.match(route.stdout, new RegExp(`default via ${fwAddr?.replace(/\./g, '\\.')} dev eth0`));
    const seen = curl('work', `http://${WEB}/ip`);
    assert.equal(seen.code, 0, seen.stderr);
    const sysNetUplink = nsAddress(d.ns('sys-net'), 'eth0');
    assert.ok(sysNetUplink?.startsWith('198.51.100.'), `sys-net uplink address ${sysNetUplink}`);
    assert.equal(seen.stdout.trim(), sysNetUplink, "the web host saw sys-net's uplink address (masquerade)");
    assert.ok(!seen.stdout.includes('10.137.'), 'the qube address never reaches the lab');
  });

  it('resolves lab names inside the qube and gets NXDOMAIN for others', () => {
    const resolv = d.run('work', ['cat', '/etc/resolv.conf']);
    assert.match(resolv.stdout, /nameserver 10\.139\.1\.1/);
    const a = d.run('work', ['dig', '+short', '+time=3', '+tries=1', 'web.lab.test']);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.stdout.trim(), WEB);
    const o = d.run('work', ['dig', '+short', '+time=3', '+tries=1', 'other.lab.test']);
    assert.equal(o.stdout.trim(), OTHER);
    const nx = d.run('work', ['dig', '+time=3', '+tries=1', 'nosuch.example']);
    assert.equal(nx.code, 0, nx.stderr);
    assert.match(nx.stdout, /status: NXDOMAIN/);
  });

  it('a blocked host gets ICMP admin-prohibited at once, counted as rejected', () => {
    assert.deepEqual(fwList('work'), ['action=accept']);
    const okBefore = curl('work', `http://${OTHER}/`);
    assert.equal(okBefore.code, 0, `positive control: other.lab.test reachable first: ${okBefore.stderr}`);
    d.ok(['firewall', 'work', 'add', '--before', '0', 'action=drop', `dsthost=${OTHER}`]);
    d.ok(['firewall', 'work', 'del', '1']);
    d.ok(['firewall', 'work', 'add', 'action=accept', `dsthost=${WEB}`]);
    assert.deepEqual(fwList('work'), [`action=drop dsthost=${OTHER}`, `action=accept dsthost=${WEB}`]);
    const rejected0 = fwCounter('rejected');
    const r = curl('work', `http://${OTHER}/`);
    assert.equal(r.code, 7, `curl exit ${r.code}: ${r.stderr}`);
    assert.match(r.stderr, /Couldn't connect|No route to host/);
    assert.ok(r.ms < 3000, `refused at once, not timed out (${r.ms} ms)`);
    assert.ok(fwCounter('rejected') > rejected0, 'rejected counter incremented');
    // The allowed host still works, so the refusal is the rule and not a broken link.
    assert.equal(curl('work', `http://${WEB}/`).code, 0);
    d.ok(['firewall', 'work', 'reset']);
    assert.deepEqual(fwList('work'), ['action=accept']);
    assert.equal(curl('work', `http://${OTHER}/`).code, 0);
  });

  it('a packet with a foreign source address from a qube is dropped and counted as spoofed', () => {
    // The qube lacks CAP_NET_ADMIN and CAP_NET_RAW, so the second address is added from the host side.
    const caps = d.run('work', ['grep', 'CapEff', '/proc/self/status'], { root: true });
    const eff = BigInt(`0x${caps.stdout.trim().split(/\s+/)[1] ?? '0'}`);
    assert.equal(eff & ((1n << 12n) | (1n << 13n)), 0n, 'root in the qube has neither NET_ADMIN nor NET_RAW');
    const add = spawnSync('ip', ['-n', d.ns('work'), 'addr', 'add', '10.137.0.250/32', 'dev', 'eth0'], { encoding: 'utf8' });
    assert.equal(add.status, 0, add.stderr);
    try {
      const spoofed0 = fwCounter('spoofed');
      const r = curl('work', `http://${WEB}/ip`, ['--interface', '10.137.0.250', '--max-time', '3']);
      assert.notEqual(r.code, 0, 'the spoofed connection fails');
      assert.ok(fwCounter('spoofed') > spoofed0, 'spoofed counter incremented');
      // The qube's own address still gets through on the same link.
      assert.equal(curl('work', `http://${WEB}/ip`).code, 0);
    } finally {
      spawnSync('ip', ['-n', d.ns('work'), 'addr', 'del', '10.137.0.250/32', 'dev', 'eth0']);
    }
  });

  it('qube A cannot reach qube B on any port nor by ICMP (counted as isolated)', () => {
    const bAddr = nsAddress(d.ns('personal'), 'eth0');
    assert.ok(bAddr, 'personal has an address');
    const port = '8080';
    const l = d.run('personal', ['sh', '-c', `nc -lk -p ${port} </dev/null >/dev/null 2>&1 & echo started`]);
    assert.equal(l.code, 0, l.stderr);
    let up = 1;
    for (let i = 0; i < 20 && up !== 0; i++) up = d.run('personal', ['nc', '-z', '-w', '1', '127.0.0.1', port]).code;
    assert.equal(up, 0, 'positive control: the listener answers inside personal');
    const isolated0 = fwCounter('isolated');
    for (const p of [port, '22', '80']) {
      const r = d.run('work', ['nc', '-z', '-w', '2', bAddr, p]);
      assert.notEqual(r.code, 0, `work reached personal:${p}`);
    }
    const udp = d.run('work', ['sh', '-c', `echo x | nc -u -w 1 ${bAddr} ${port}; echo done`]);
    assert.equal(udp.code, 0, udp.stderr);
    const icmp = d.run('work', ['python3', '-c', ICMP_ECHO_PY, bAddr, '2']);
    assert.match(icmp.stdout, /^noreply/, icmp.stdout + icmp.stderr);
    assert.ok(fwCounter('isolated') >= isolated0 + 5, `isolated counter went ${isolated0} → ${fwCounter('isolated')}`);
    // Positive control for the ICMP probe: the same probe reaches the lab web host.
    const ctl = d.run('work', ['python3', '-c', ICMP_ECHO_PY, WEB, '2']);
    assert.match(ctl.stdout, /^reply/, ctl.stdout + ctl.stderr);
  });

  it("a qube cannot reach the daemon's socket nor listeners on the host side", async () => {
    const sock = join(d.home, 'admin', 'admin.sock');
    assert.ok(existsSync(sock), 'positive control: the socket exists on the host');
    const inQube = d.run(
      'work',
      [
        'python3',
        '-c',
        'import socket,sys\ns=socket.socket(socket.AF_UNIX)\ntry:\n s.connect(sys.argv[1]); print("connected")\nexcept Exception as e: print(type(e).__name__)',
        sock,
      ],
      { root: true },
    );
    assert.equal(inQube.stdout.trim(), 'FileNotFoundError', inQube.stdout + inQube.stderr);

    // A listener in the host namespace on loopback.
    hostServer = net.createServer((c) => {
      c.on('error', () => undefined);
      c.end('host\n');
    });
    await new Promise<void>((res) => hostServer!.listen(0, '127.0.0.1', res));
    const hostPort = (hostServer.address() as net.AddressInfo).port;
    const ctl = await new Promise<boolean>((res) => {
      const c = net.connect(hostPort, '127.0.0.1', () => {
        c.destroy();
        res(true);
      });
      c.on('error', () => res(false));
    });
    assert.ok(ctl, 'positive control: the host listener accepts on the host');
    const r1 = d.run('work', ['nc', '-z', '-w', '2', '127.0.0.1', String(hostPort)]);
    assert.notEqual(r1.code, 0, 'the qube reached the host loopback listener');

    // A listener on an address of a namespace the test made, connected to nothing.
    spawnSync('ip', ['netns', 'delete', ISLAND]);
    for (const args of [
      ['netns', 'add', ISLAND],
      ['-n', ISLAND, 'link', 'set', 'lo', 'up'],
      ['-n', ISLAND, 'addr', 'add', `${ISLAND_ADDR}/32`, 'dev', 'lo'],
    ]) {
      const r = spawnSync('ip', args, { encoding: 'utf8' });
      assert.equal(r.status, 0, `ip ${args.join(' ')}: ${r.stderr}`);
    }
    const islandPort = 18000 + Math.floor(Math.random() * 1000);
    const listener = spawn('ip', ['netns', 'exec', ISLAND, 'nc', '-lk', '-s', ISLAND_ADDR, '-p', String(islandPort)], { stdio: 'ignore' });
    procs.push(listener);
    let ok = 1;
    for (let i = 0; i < 20 && ok !== 0; i++) {
      ok = spawnSync('ip', ['netns', 'exec', ISLAND, 'nc', '-z', '-w', '1', ISLAND_ADDR, String(islandPort)]).status ?? 1;
      if (ok !== 0) await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(ok, 0, 'positive control: the island listener accepts inside its namespace');
    const r2 = d.run('work', ['nc', '-z', '-w', '3', ISLAND_ADDR, String(islandPort)]);
    assert.notEqual(r2.code, 0, 'the qube reached a listener outside the lab');
    listener.kill('SIGKILL');
    spawnSync('ip', ['netns', 'delete', ISLAND]);
  });

  it('netvm none leaves only lo (vault)', () => {
    const links = d.run('vault', ['ip', '-br', 'link']);
    assert.equal(links.code, 0, links.stderr);
    assert.deepEqual(
      links.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/)[0]),
      ['lo'],
    );
    assert.equal(d.run('vault', ['ip', 'route']).stdout.trim(), '');
    const r = curl('vault', `http://${WEB}/`, ['--max-time', '3']);
    assert.notEqual(r.code, 0);
    assert.equal(existsSync(`/run/netns/${d.ns('vault')}`), false, 'vault has no named namespace in the netvm feature');
  });

  it('changes the netvm of a running qube: sys-net direct, none, back to sys-firewall', () => {
    const netLinks = () =>
      spawnSync('ip', ['-n', d.ns('sys-net'), '-br', 'link'], { encoding: 'utf8' })
        .stdout.trim()
        .split('\n')
        .map((l) => l.split(/[\s@]+/)[0])
        .sort();
    const sysNetBefore = netLinks();
    d.ok(['prefs', 'work', 'netvm', 'sys-net']);
    const netAddr = nsAddress(d.ns('sys-net'), 'eth0');
    const viaNet = curl('work', `http://${WEB}/ip`);
    assert.equal(viaNet.code, 0, viaNet.stderr);
    assert.equal(viaNet.stdout.trim(), netAddr);
    const r1 = d.run('work', ['ip', 'route', 'show', 'default']);
    assert.match(r1.stdout, /dev eth0/);
    const fwChains = spawnSync('ip', ['netns', 'exec', d.ns('sys-firewall'), 'nft', 'list', 'table', 'inet', 'bulkhead'], { encoding: 'utf8' }).stdout;
    assert.doesNotMatch(fwChains, /chain qube-work /, "work's chain left sys-firewall");
    assert.match(fwChains, /chain qube-personal /, "personal's chain stays");
    assert.equal(netLinks().length, sysNetBefore.length + 1, 'work has a link into sys-net');

    d.ok(['prefs', 'work', 'netvm', '']);
    assert.equal(d.ok(['prefs', 'work', 'netvm']).trim(), 'none');
    const links = d.run('work', ['ip', '-br', 'link']);
    assert.deepEqual(
      links.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/)[0]),
      ['lo'],
    );
    assert.equal(d.run('work', ['ip', 'route']).stdout.trim(), '');
    assert.notEqual(curl('work', `http://${WEB}/`, ['--max-time', '3']).code, 0);

    d.ok(['prefs', 'work', 'netvm', 'sys-firewall']);
    const back = curl('work', 'http://web.lab.test/');
    assert.equal(back.code, 0, back.stderr);
    assert.match(back.stdout, /bulkhead lab/);
    const fwAddr = nsAddress(d.ns('sys-firewall'), 'eth0');
    assert.match(d.run('work', ['ip', 'route', 'show', 'default']).stdout, new RegExp(`via ${fwAddr?.replace(/\./g, '\\.')}`));
    // No link of work is left in sys-net.
    assert.deepEqual(netLinks(), sysNetBefore);
  });

  it('an expired rule is gone after its time', async () => {
    d.ok(['firewall', 'work', 'add', '--before', '0', 'action=drop', `dsthost=${OTHER}`, 'expire=+3']);
    const listed = fwList('work');
    assert.equal(listed.length, 2);
    assert.match(listed[0] ?? '', new RegExp(`^action=drop dsthost=${OTHER.replace(/\./g, '\\.')} expire=\\d+$`));
    assert.equal(curl('work', `http://${OTHER}/`).code, 7, 'blocked while the rule lives');
    await new Promise((res) => setTimeout(res, 5000));
    assert.deepEqual(fwList('work'), ['action=accept']);
    const r = curl('work', `http://${OTHER}/`);
    assert.equal(r.code, 0, `reachable again: ${r.stderr}`);
  });

  it('a rule set that fails to load blocks that qube (fail closed) and keeps the last good list', () => {
    // nosuch.example is NXDOMAIN in the lab (every *.lab.test resolves, so a lab name would not do).
    const before = fwList('work');
    assert.equal(curl('work', `http://${WEB}/`).code, 0, 'positive control');
    const blocked0 = fwCounter('blocked');
    const r = fw('work', 'add', 'action=accept', 'dsthost=nosuch.example');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /nosuch\.example/);
    assert.match(r.stderr, /blocked/);
    assert.deepEqual(fwList('work'), before, 'the stored list is the last good one');
    const f = curl('work', `http://${WEB}/`, ['--max-time', '3']);
    assert.notEqual(f.code, 0, 'traffic is blocked, not opened');
    assert.ok(fwCounter('blocked') > blocked0, 'blocked counter incremented');
    // A good edit loads again and lifts the block.
    d.ok(['firewall', 'work', 'reset']);
    assert.equal(curl('work', `http://${WEB}/`).code, 0);
  });

  it('invalid rules are refused naming the field and leave the list unchanged', () => {
    d.ok(['firewall', 'work', 'add', 'action=drop', 'proto=tcp', 'dstports=25', 'comment=no mail here']);
    const before = fwList('work');
    assert.deepEqual(before, ['action=accept', 'action=drop proto=tcp dstports=25 comment=no mail here']);
    const cases: [string[], RegExp][] = [
      [['action=bogus'], /action/],
      [['dsthost=192.0.2.1'], /action/],
      [['action=accept', 'dstports=80'], /dstports/],
      [['action=accept', 'proto=tcp', 'dstports=99999'], /dstports/],
      [['action=accept', 'dsthost=300.1.1.1'], /dsthost/],
      [['action=accept', 'icmptype=8'], /icmptype/],
      [['action=accept', 'proto=gre'], /proto/],
      [['action=accept', 'expire=yesterday'], /expire/],
      [['action=accept', 'specialtarget=ntp'], /specialtarget/],
      [['action=accept', 'foo=bar'], /foo/],
    ];
    for (const [rule, field] of cases) {
      const r = fw('work', 'add', ...rule);
      assert.notEqual(r.code, 0, `accepted: ${rule.join(' ')}`);
      assert.match(r.stderr, field, `${rule.join(' ')} → ${r.stderr}`);
    }
    const beyond = fw('work', 'add', '--before', '7', 'action=accept');
    assert.notEqual(beyond.code, 0, '--before past the end is refused');
    assert.notEqual(fw('work', 'del', '9').code, 0, 'del of a missing rule is refused');
    assert.deepEqual(fwList('work'), before);
    assert.equal(curl('work', `http://${WEB}/`).code, 0, 'the loaded rules still work');
  });

  it('specialtarget=dns lets only DNS through beside an allowed host', () => {
    d.ok(['firewall', 'work', 'reset']);
    d.ok(['firewall', 'work', 'add', 'action=accept', 'specialtarget=dns']);
    d.ok(['firewall', 'work', 'add', 'action=accept', `dsthost=${WEB}`, 'proto=tcp', 'dstports=80']);
    d.ok(['firewall', 'work', 'del', '0']);
    assert.deepEqual(fwList('work'), ['action=accept specialtarget=dns', `action=accept dsthost=${WEB} proto=tcp dstports=80`]);
    const a = d.run('work', ['dig', '+short', '+time=3', '+tries=1', 'other.lab.test']);
    assert.equal(a.stdout.trim(), OTHER, `DNS allowed: ${a.stdout}${a.stderr}`);
    assert.equal(curl('work', 'http://web.lab.test/').code, 0, 'allowed host and port');
    const dropped0 = fwCounter('dropped');
    const o = curl('work', 'http://other.lab.test/', ['--max-time', '3']);
    assert.notEqual(o.code, 0, 'a host no rule allows is dropped');
    assert.ok(fwCounter('dropped') > dropped0, 'implicit drop counted');
    d.ok(['firewall', 'work', 'reset']);
    // Without the dns rule, DNS itself is dropped.
    d.ok(['firewall', 'work', 'add', '--before', '0', 'action=accept', `dsthost=${WEB}`]);
    d.ok(['firewall', 'work', 'del', '1']);
    const nodns = d.run('work', ['dig', '+short', '+time=2', '+tries=1', 'web.lab.test']);
    assert.doesNotMatch(nodns.stdout, /192\.0\.2\.10/, 'DNS without specialtarget=dns is not allowed');
    d.ok(['firewall', 'work', 'reset']);
  });

  it('teardown leaves no namespace, link, nft table or container of the prefix', async () => {
    await teardown();
    const left = leftovers(prefix, tablesBefore);
    assert.deepEqual(left, { netns: [], etcNetns: [], crun: [], hostLinks: [], hostTables: [] });
    assert.equal(existsSync(`/run/netns/${ISLAND}`), false);
  });
});
