// The leak test's packet judgement and pcap reading, on hand-made packets (no kernel, no tcpdump).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labTorEndpoints, PointJudge, windowOf } from './classify.js';
import { readPcap, type Packet, type TapPoint } from './observer.js';

const tor = labTorEndpoints();
const uplink: TapPoint = {
  label: 'sysnet-eth0',
  kind: 'uplink',
  netns: 'x',
  ifname: 'eth0',
  linkAddrs: ['198.51.100.2', '198.51.100.1'],
  torSource: '198.51.100.2',
};
const host: TapPoint = { label: 'web', kind: 'host', netns: 'x', ifname: 'eth0', linkAddrs: ['192.0.2.10', '192.0.2.1'] };

function pkt(over: Partial<Packet>): Packet {
  return { ts: 0, kind: 'ipv4', ethertype: 0x800, src: '', dst: '', proto: 6, sport: 40000, dport: 80, flags: 0x10, fragment: false, len: 60, ...over };
}

test('the lab Tor network endpoints come from the plan: ORPorts, DirPorts, obfs4', () => {
  assert.ok(tor.ports.has('203.0.113.11:5100'));
  assert.ok(tor.ports.has('203.0.113.11:5200'));
  assert.ok(tor.ports.has('203.0.113.21:5103'));
  assert.ok(!tor.ports.has('203.0.113.11:5300'), 'control ports are not tor traffic');
  assert.ok(tor.nodes.has('203.0.113.41'));
});

test('uplink: only tor to relay ports and streams an exit opened', () => {
  const cases: [Partial<Packet>, string][] = [
    [{ src: '198.51.100.2', dst: '203.0.113.11', dport: 5100, flags: 0x02 }, 'tor'],
    [{ src: '203.0.113.11', dst: '198.51.100.2', sport: 5100, dport: 40000, flags: 0x12 }, 'tor'],
    [{ src: '198.51.100.2', dst: '203.0.113.11', dport: 80, flags: 0x02 }, 'leak'],
    [{ src: '198.51.100.2', dst: '203.0.113.11', proto: 17, dport: 5100 }, 'leak'],
    [{ src: '198.51.100.2', dst: '192.0.2.10', dport: 80, flags: 0x02 }, 'leak'],
    [{ src: '198.51.100.2', dst: '203.0.113.11', dport: 5100, fragment: true }, 'leak'],
    [{ kind: 'ipv6', ethertype: 0x86dd, src: 'fe80::1', dst: 'ff02::1', proto: 58 }, 'leak'],
    [{ kind: 'other', ethertype: 0x88cc }, 'leak'],
    [{ kind: 'arp', ethertype: 0x806, src: '198.51.100.2', dst: '198.51.100.1' }, 'link'],
    [{ kind: 'arp', ethertype: 0x806, src: '198.51.100.2', dst: '192.0.2.10' }, 'leak'],
  ];
  for (const [p, want] of cases) assert.equal(new PointJudge(uplink, tor).judge(pkt(p)), want, JSON.stringify(p));
  // An exit's stream to sys-net's public address: its SYN opens the flow; the RST answer belongs to it.
  const j = new PointJudge(uplink, tor);
  assert.equal(j.judge(pkt({ src: '198.51.100.2', dst: '203.0.113.12', sport: 22, dport: 33950, flags: 0x14 })), 'leak', 'no flow yet');
  assert.equal(j.judge(pkt({ src: '203.0.113.12', dst: '198.51.100.2', sport: 33950, dport: 22, flags: 0x02 })), 'tor');
  assert.equal(j.judge(pkt({ src: '198.51.100.2', dst: '203.0.113.12', sport: 22, dport: 33950, flags: 0x14 })), 'tor');
  assert.equal(j.judge(pkt({ src: '198.51.100.2', dst: '203.0.113.12', sport: 22, dport: 33951, flags: 0x12 })), 'leak', 'another flow');
});

test('lab host: only packets to or from a Tor node', () => {
  assert.equal(new PointJudge(host, tor).judge(pkt({ src: '203.0.113.21', dst: '192.0.2.10' })), 'tor');
  assert.equal(new PointJudge(host, tor).judge(pkt({ src: '192.0.2.10', dst: '203.0.113.21' })), 'tor');
  assert.equal(new PointJudge(host, tor).judge(pkt({ src: '198.51.100.2', dst: '192.0.2.10' })), 'leak');
  assert.equal(new PointJudge(host, tor).judge(pkt({ src: '10.152.152.11', dst: '192.0.2.10', proto: 1 })), 'leak');
});

test('windows: a packet belongs to the row whose window holds its time', () => {
  const w = [
    { start: 10, end: 20 },
    { start: 20, end: 30 },
    { start: 40, end: 50 },
  ];
  assert.deepEqual(
    [5, 10, 19.9, 20, 35, 49, 50].map((t) => windowOf(w, t)),
    [-1, 0, 0, 1, -1, 2, -1],
  );
});

test('pcap: Ethernet frames are read with time, addresses, ports, flags and fragments', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bh-leakpcap-'));
  try {
    const head = Buffer.alloc(24);
    head.writeUInt32LE(0xa1b2c3d4, 0);
    head.writeUInt16LE(2, 4);
    head.writeUInt16LE(4, 6);
    head.writeUInt32LE(262144, 16);
    head.writeUInt32LE(1, 20);
    const eth = (type: number, l3: Buffer) => Buffer.concat([Buffer.alloc(12, 0xaa), Buffer.from([type >> 8, type & 0xff]), l3]);
    const ip = Buffer.from('4500003c000040004006000ac6336402cb00710b', 'hex'); // 198.51.100.2 -> 203.0.113.11, TCP
    const tcp = Buffer.from('9c40140c00000000000000005002ffff00000000', 'hex'); // 40000 -> 5132, SYN
    const frag = Buffer.from('450000200001000a40110000c0a80001c0000210', 'hex'); // offset 10, UDP
    const rec = (sec: number, usec: number, f: Buffer) => {
      const h = Buffer.alloc(16);
      h.writeUInt32LE(sec, 0);
      h.writeUInt32LE(usec, 4);
      h.writeUInt32LE(f.length, 8);
      h.writeUInt32LE(f.length, 12);
      return Buffer.concat([h, f]);
    };
    const file = join(dir, 'x.pcap');
    writeFileSync(
      file,
      Buffer.concat([head, rec(100, 500_000, eth(0x800, Buffer.concat([ip, tcp]))), rec(101, 0, eth(0x800, frag)), rec(102, 0, eth(0x86dd, Buffer.alloc(40)))]),
    );
    const ps = await readPcap(file);
    assert.equal(ps.length, 3);
    assert.deepEqual(
      [ps[0]!.ts, ps[0]!.kind, ps[0]!.src, ps[0]!.dst, ps[0]!.proto, ps[0]!.sport, ps[0]!.dport, ps[0]!.flags],
      [100_500, 'ipv4', '198.51.100.2', '203.0.113.11', 6, 40000, 5132, 0x02],
    );
    assert.deepEqual([ps[1]!.fragment, ps[1]!.sport, ps[1]!.dst], [true, -1, '192.0.2.16']);
    assert.equal(ps[2]!.kind, 'ipv6');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
