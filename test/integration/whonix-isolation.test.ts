// Physical isolation of Whonix qubes: gateway and workstations are separate "hosts" (namespaces) joined only by one veth link each, read from the kernel.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readlinkSync, statSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { forceRemoveNetns, hostNftTables, leftovers } from './net-fixture.js';
import { whonixDaemon, type WhonixDaemon } from './whonix-fixture.js';

interface Link {
  ifindex: number;
  ifname: string;
  link_index?: number;
  link_netnsid?: number;
  linkinfo?: { info_kind?: string };
}

function links(netns: string): Link[] {
  const r = spawnSync('ip', ['-n', netns, '-j', '-d', 'link', 'show'], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`ip -n ${netns} link: ${r.stderr}`);
  return JSON.parse(r.stdout) as Link[];
}

/** nsid → namespace name, as seen from inside `netns`. */
function nsids(netns: string): Map<number, string> {
  const r = spawnSync('ip', ['-n', netns, 'netns', 'list-id'], { encoding: 'utf8', timeout: 10_000 });
  const out = new Map<number, string>();
  for (const m of r.stdout.matchAll(/nsid (\d+) \(iproute2 netns name: (\S+)\)/g)) out.set(Number(m[1]), m[2] as string);
  return out;
}

/** The other end of a veth: namespace name and interface, checked to point back at this end. */
function peerOf(netns: string, l: Link): { netns: string; ifname: string } {
  assert.equal(l.linkinfo?.info_kind, 'veth', `${netns}/${l.ifname} is a veth`);
  assert.ok(l.link_netnsid !== undefined && l.link_index !== undefined, `${netns}/${l.ifname} has its peer in another namespace`);
  const peerNs = nsids(netns).get(l.link_netnsid);
  assert.ok(peerNs, `${netns}/${l.ifname}: peer namespace id ${l.link_netnsid} has a name`);
  const peer = links(peerNs).find((x) => x.ifindex === l.link_index);
  assert.ok(peer, `${peerNs} has ifindex ${l.link_index}`);
  // The peer points back here.
  assert.equal(nsids(peerNs).get(peer.link_netnsid ?? -1), netns, `${peerNs}/${peer.ifname} points back to ${netns}`);
  assert.equal(peer.link_index, l.ifindex);
  return { netns: peerNs, ifname: peer.ifname };
}

const nsInode = (path: string) => statSync(path).ino;

describe('Whonix physical isolation: one link between gateway and each workstation', { timeout: 900_000 }, () => {
  let d: WhonixDaemon;
  let prefix = '';
  let tablesBefore: string[] = [];

  before(async () => {
    tablesBefore = hostNftTables();
    d = await whonixDaemon('wxiso');
    prefix = d.prefix;
    d.addWorkstation('anon2');
  });
  after(async () => {
    await d?.teardown();
    if (prefix) {
      forceRemoveNetns(prefix);
      const left = leftovers(prefix, tablesBefore);
      assert.deepEqual(left, { netns: [], etcNetns: [], crun: [], hostLinks: [], hostTables: [] }, 'nothing of the run is left');
    }
  });

  it('a workstation namespace holds lo and eth0 only, and eth0 ends in the gateway as vif<qid>', () => {
    for (const ws of ['anon-whonix', 'anon2']) {
      const l = links(d.ns(ws));
      assert.deepEqual(l.map((x) => x.ifname).sort(), ['eth0', 'lo'], `${ws}: ${l.map((x) => x.ifname).join(',')}`);
      const peer = peerOf(d.ns(ws), l.find((x) => x.ifname === 'eth0') as Link);
      assert.deepEqual(peer, { netns: d.ns('sys-whonix'), ifname: `vif${d.qid(ws)}` });
      // Its only routes go over that link to the gateway.
      const routes = spawnSync('ip', ['-n', d.ns(ws), '-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' })
        .stdout.trim()
        .split('\n');
      for (const r of routes) assert.match(r, /dev (eth0|lo)\b/, `${ws} route ${r}`);
      assert.ok(
        routes.some((r) => r.startsWith('default via 10.152.152.10 dev eth0')),
        routes.join('\n'),
      );
    }
  });

  it('the gateway namespace holds lo, its uplink into sys-firewall, and one vif per running workstation', () => {
    const gw = d.ns('sys-whonix');
    const l = links(gw);
    const vifs = ['anon-whonix', 'anon2'].map((w) => `vif${d.qid(w)}`);
    assert.deepEqual(l.map((x) => x.ifname).sort(), ['eth0', 'lo', ...vifs].sort());
    assert.equal(peerOf(gw, l.find((x) => x.ifname === 'eth0') as Link).netns, d.ns('sys-firewall'));
    for (const v of vifs) {
      const peer = peerOf(gw, l.find((x) => x.ifname === v) as Link);
      assert.equal(peer.ifname, 'eth0');
      assert.ok([d.ns('anon-whonix'), d.ns('anon2')].includes(peer.netns));
    }
  });

  it('the host holds no end of any link into the gateway or the workstations', () => {
    const r = spawnSync('ip', ['-j', '-d', 'link', 'show'], { encoding: 'utf8', timeout: 10_000 });
    const hostLinks = JSON.parse(r.stdout) as Link[];
    const ids = spawnSync('ip', ['netns', 'list-id'], { encoding: 'utf8' }).stdout;
    const named = new Map([...ids.matchAll(/nsid (\d+) \(iproute2 netns name: (\S+)\)/g)].map((m) => [Number(m[1]), m[2] as string]));
    const mine = new Set(['anon-whonix', 'anon2', 'sys-whonix'].map((n) => d.ns(n)));
    const into = hostLinks.filter((l) => l.link_netnsid !== undefined && mine.has(named.get(l.link_netnsid) ?? ''));
    assert.deepEqual(
      into.map((l) => l.ifname),
      [],
    );
  });

  it('the gateway forwards nothing (ip_forward=0, forwarding off on every link)', () => {
    const gw = d.ns('sys-whonix');
    const r = spawnSync(
      'ip',
      ['netns', 'exec', gw, 'sh', '-c', 'for f in /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/conf/*/forwarding; do echo "$f $(cat $f)"; done'],
      { encoding: 'utf8' },
    );
    const lines = r.stdout.trim().split('\n');
    assert.ok(lines.length >= 5, r.stdout);
    for (const line of lines) assert.match(line, / 0$/, line);
  });

  it('each qube runs inside its own namespaces: workstation and gateway share none', () => {
    const ws = d.initPid('anon-whonix');
    const gw = d.initPid('sys-whonix');
    assert.ok(ws && gw);
    assert.equal(nsInode(`/proc/${ws}/ns/net`), nsInode(`/run/netns/${d.ns('anon-whonix')}`), 'the workstation runs in its own named netns');
    assert.equal(nsInode(`/proc/${gw}/ns/net`), nsInode(`/run/netns/${d.ns('sys-whonix')}`), 'the gateway runs in its own named netns');
    for (const kind of ['net', 'pid', 'mnt', 'uts', 'ipc', 'user', 'cgroup']) {
      assert.notEqual(readlinkSync(`/proc/${ws}/ns/${kind}`), readlinkSync(`/proc/${gw}/ns/${kind}`), `${kind} namespace differs`);
      assert.notEqual(readlinkSync(`/proc/${ws}/ns/${kind}`), readlinkSync(`/proc/self/ns/${kind}`), `${kind} namespace is not the host's`);
    }
  });

  it('a stopped workstation takes its link with it; the other keeps its own', () => {
    const vif2 = `vif${d.qid('anon2')}`;
    d.ok(['kill', 'anon2']);
    const names = links(d.ns('sys-whonix')).map((x) => x.ifname);
    assert.ok(!names.includes(vif2), names.join(','));
    assert.ok(names.includes(`vif${d.qid('anon-whonix')}`));
    const named = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
      .stdout.split('\n')
      .map((l) => l.split(' ')[0]);
    assert.ok(!named.includes(d.ns('anon2')), 'its namespace is gone');
    const page = d.run('anon-whonix', ['curl', '-sS', '--max-time', '30', 'http://web.lab.test/ip']);
    assert.equal(page.code, 0, page.stderr);
    assert.ok(d.labTor().exitAddresses.includes(page.stdout.trim()), `the web host saw ${page.stdout.trim()}`);
  });

  it("removing a workstation moves no other workstation's tor listeners (blocks are kept per qube)", async () => {
    const trans = async () => {
      const c = await d.control();
      try {
        return [...(await c.tor.getinfoOne('net/listeners/trans')).matchAll(/:(\d+)"/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
      } finally {
        c.close();
      }
    };
    d.addWorkstation('anon3');
    const slotOf = (n: string) => d.ok(['features', n, 'gateway.slot']).trim();
    // Every qube behind the gateway holds a block (whonix-dvm too); TransPort of slot k is 20040 + 200·k.
    const transOf = (n: string) => {
      const m = /^sys-whonix:(\d+)$/.exec(slotOf(n));
      assert.ok(m, `${n} holds a slot: ${slotOf(n)}`);
      return 20040 + 200 * Number(m[1]);
    };
    const [p1, p2, p3] = ['anon-whonix', 'anon2', 'anon3'].map(transOf) as [number, number, number];
    assert.equal(new Set([p1, p2, p3]).size, 3);
    assert.ok(p3 > p2, 'the newest workstation took a block above the middle one');
    const all = await trans();
    for (const p of [p1, p2, p3]) assert.ok(all.includes(p), `tor listens on ${p}: ${all.join(',')}`);
    // Remove the middle one; the gateway is re-planned when anon3 starts again.
    d.ok(['remove', 'anon2', '--force']);
    d.ok(['kill', 'anon3']);
    d.ok(['start', 'anon3'], undefined, 180_000);
    const now = await trans();
    assert.ok(now.includes(p1) && now.includes(p3), `anon-whonix and anon3 keep their listener blocks: ${now.join(',')}`);
    assert.ok(!now.includes(p2), `the removed workstation's block is gone: ${now.join(',')}`);
    assert.equal(transOf('anon3'), p3);
    for (const ws of ['anon-whonix', 'anon3']) {
      const page = d.run(ws, ['curl', '-sS', '--max-time', '30', 'http://web.lab.test/ip']);
      assert.equal(page.code, 0, `${ws}: ${page.stderr}`);
    }
  });
});
