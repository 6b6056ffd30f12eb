// Acceptance: with the lab, sys-net, sys-firewall and two app qubes running, every namespace of the prefix is sealed (structurally, no probe sent) and IPv6 is off everywhere — never half.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { labCheckSealed } from '../../src/lab/index.js';
import { prefixInventory } from '../../src/net/index.js';
import { forceRemoveNetns, hostNftTables, leftovers, netDaemon, type NetDaemon } from './net-fixture.js';

const RUN = process.env.BULKHEAD_TEST_RUN ?? `bht${randomBytes(2).toString('hex')}`;
/** A namespace outside the prefix, used once to show the check can fail. */
const OUTSIDE = `${RUN}-sealout`;

const inNs = (ns: string, cmd: string, args: string[]) => spawnSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', timeout: 10_000 });

describe('sealing and IPv6 with the network feature running', { timeout: 600_000 }, () => {
  let d: NetDaemon;
  let prefix = '';
  let tablesBefore: string[] = [];

  before(async () => {
    tablesBefore = hostNftTables();
    d = await netDaemon('netseal');
    prefix = d.prefix;
    d.ok(['create', 'work', '--template', 'debian-12', '--label', 'blue']);
    d.ok(['create', 'personal', '--template', 'debian-12', '--label', 'green']);
    d.ok(['start', 'work', 'personal']);
  });

  const teardown = async () => {
    spawnSync('ip', ['netns', 'delete', OUTSIDE], { timeout: 10_000 });
    await d?.teardown();
  };
  after(async () => {
    await teardown();
    if (prefix) forceRemoveNetns(prefix);
  });

  it('every link of every prefix namespace ends in another prefix namespace; no route reaches the host', async () => {
    const page = d.run('work', ['curl', '-sS', '--max-time', '10', 'http://web.lab.test/']);
    assert.match(page.stdout, /bulkhead lab/, 'positive control: the chain carries traffic');
    const report = await labCheckSealed(prefix);
    assert.deepEqual(report.violations, []);
    assert.equal(report.sealed, true);
    for (const n of ['lab-router', 'lab-web', 'lab-other', 'lab-dns', 'sys-net', 'sys-firewall', 'work', 'personal']) {
      assert.ok(report.namespaces.includes(`${prefix}-${n}`), `${n} was inspected`);
    }
    assert.ok(report.checkedLinks >= 16 && report.checkedRoutes >= 10, `inspected ${report.checkedLinks} links, ${report.checkedRoutes} routes`);

    // The chain itself, read from the same inventory: work → sys-firewall → sys-net → lab router.
    const inv = await prefixInventory(prefix);
    const peerOf = (ns: string, ifname: string) => {
      const l = inv.links.find((x) => x.netns === ns && x.ifname === ifname);
      return l?.peer?.place.kind === 'named' ? l.peer.place.netns : null;
    };
    assert.equal(peerOf(d.ns('work'), 'eth0'), d.ns('sys-firewall'));
    assert.equal(peerOf(d.ns('personal'), 'eth0'), d.ns('sys-firewall'));
    assert.equal(peerOf(d.ns('sys-firewall'), 'eth0'), d.ns('sys-net'));
    assert.equal(peerOf(d.ns('sys-net'), 'eth0'), d.ns('lab-router'));
    // One point-to-point link per qube, never a bridge.
    assert.deepEqual(
      inv.links.filter((l) => l.kind === 'bridge'),
      [],
    );
    // No namespace of ours has a default route except through its single uplink.
    for (const r of inv.routes.filter((x) => x.dst === 'default')) assert.deepEqual(r.devs, ['eth0'], `${r.netns} default route`);
    assert.equal(
      inv.routes.some((r) => r.netns === d.ns('lab-router') && r.dst === 'default'),
      false,
      'the lab router has no default route',
    );
  });

  it('the check fails when a link leaves the prefix (negative control), and passes again after', async () => {
    spawnSync('ip', ['netns', 'delete', OUTSIDE]);
    assert.equal(spawnSync('ip', ['netns', 'add', OUTSIDE]).status, 0);
    const mk = spawnSync('ip', ['link', 'add', 'leak0', 'netns', d.ns('personal'), 'type', 'veth', 'peer', 'name', 'leak1', 'netns', OUTSIDE], {
      encoding: 'utf8',
    });
    assert.equal(mk.status, 0, mk.stderr);
    try {
      const bad = await labCheckSealed(prefix);
      assert.equal(bad.sealed, false);
      assert.ok(
        bad.violations.some((v) => v.includes('leak0')),
        bad.violations.join('\n'),
      );
    } finally {
      spawnSync('ip', ['netns', 'delete', OUTSIDE]);
    }
    const good = await labCheckSealed(prefix);
    assert.deepEqual(good.violations, []);
  });

  it('IPv6 is disabled in every namespace of the prefix, on every interface, and inside the qubes', () => {
    const namespaces = readdirSync('/run/netns').filter((n) => n.startsWith(`${prefix}-`));
    assert.ok(namespaces.length >= 8, namespaces.join(','));
    for (const ns of namespaces) {
      const keys = inNs(ns, 'sh', ['-c', 'for f in /proc/sys/net/ipv6/conf/*/disable_ipv6; do echo "$f $(cat $f)"; done']);
      assert.equal(keys.status, 0, keys.stderr);
      const lines = keys.stdout.trim().split('\n');
      assert.ok(lines.some((l) => l.includes('/all/')) && lines.some((l) => l.includes('/default/')), `${ns}: ${keys.stdout}`);
      for (const l of lines) assert.match(l, / 1$/, `${ns}: ${l}`);
      const a6 = spawnSync('ip', ['-n', ns, '-6', '-o', 'addr'], { encoding: 'utf8' });
      assert.equal(a6.stdout.trim(), '', `${ns} holds IPv6 addresses`);
      const r6 = spawnSync('ip', ['-n', ns, '-6', 'route', 'show', 'table', 'all'], { encoding: 'utf8' });
      assert.equal(r6.stdout.trim(), '', `${ns} has IPv6 routes`);
    }
    for (const q of ['work', 'personal', 'sys-firewall', 'sys-net']) {
      const v = d.run(q, ['cat', '/proc/sys/net/ipv6/conf/all/disable_ipv6', '/proc/sys/net/ipv6/conf/eth0/disable_ipv6']);
      assert.equal(v.code, 0, v.stderr);
      assert.deepEqual(v.stdout.trim().split('\n'), ['1', '1'], `${q} inside`);
      const c = d.run(q, [
        'python3',
        '-c',
        'import socket\ns=socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)\ntry:\n s.connect(("fd09:24ef:4179::a89:1", 53)); print("connected")\nexcept OSError as e: print("refused", e.errno)',
      ]);
      assert.match(c.stdout, /^refused/, `${q}: ${c.stdout}${c.stderr}`);
    }
  });

  it('teardown leaves no namespace, link, nft table or container of the prefix', async () => {
    await teardown();
    assert.deepEqual(leftovers(prefix, tablesBefore), { netns: [], etcNetns: [], crun: [], hostLinks: [], hostTables: [] });
  });
});
