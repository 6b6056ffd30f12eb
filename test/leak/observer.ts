// The leak-test observer: one tcpdump per watched interface (started and stopped by PID) and a reader for its pcap files.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Where packets are counted: a link towards the lab's "internet" (uplink) or a lab host's own interface. */
export interface TapPoint {
  /** Short label for the table, e.g. `gw-eth0`. */
  label: string;
  kind: 'uplink' | 'host';
  netns: string;
  ifname: string;
  /** Addresses of this link's own two ends (ARP between them is link upkeep, not traffic). */
  linkAddrs: string[];
  /** For uplinks: the address tor's traffic leaves from (gateway's or sys-net's uplink address). */
  torSource?: string;
}

export interface Tap extends TapPoint {
  file: string;
  pid: number;
  child: ChildProcess;
}

export interface Packet {
  /** Capture time, ms since the epoch. */
  ts: number;
  kind: 'ipv4' | 'ipv6' | 'arp' | 'other';
  ethertype: number;
  src: string;
  dst: string;
  /** IP protocol number (IPv6: next header); -1 for non-IP. */
  proto: number;
  sport: number;
  dport: number;
  /** TCP flags, or -1. */
  flags: number;
  /** A non-first fragment (no ports readable). */
  fragment: boolean;
  len: number;
}

/** Start tcpdump on one interface; resolves once it listens. */
export async function startTap(point: TapPoint, dir: string): Promise<Tap> {
  const file = join(dir, `${point.label}.pcap`);
  const child = spawn(
    'ip',
    ['netns', 'exec', point.netns, 'tcpdump', '-i', point.ifname, '-n', '-s', '160', '-U', '--immediate-mode', '-Z', 'root', '-w', file],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  if (!child.pid) throw new Error(`tcpdump on ${point.netns}/${point.ifname} did not start`);
  const pid = child.pid;
  await new Promise<void>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`tcpdump on ${point.label} not listening after 10 s: ${err}`)), 10_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (/listening on/.test(err)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tcpdump on ${point.label} exited ${code}: ${err}`));
    });
  });
  child.removeAllListeners('exit');
  return { ...point, file, pid, child };
}

/** Stop a tap by its PID (SIGINT lets tcpdump flush), SIGKILL if it lingers. */
export async function stopTap(tap: Tap): Promise<void> {
  if (tap.child.exitCode !== null || tap.child.signalCode !== null) return;
  const gone = new Promise<void>((r) => tap.child.once('exit', () => r()));
  try {
    process.kill(tap.pid, 'SIGINT');
  } catch {
    return;
  }
  const t = setTimeout(() => {
    try {
      process.kill(tap.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, 5000);
  await gone;
  clearTimeout(t);
}

function ip4(b: Buffer, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

function ip6(b: Buffer, o: number): string {
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(b.readUInt16BE(o + i).toString(16));
  return parts.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

/** Parse one Ethernet frame (as much as the snap length kept). */
export function parseFrame(ts: number, f: Buffer, len: number): Packet {
  const p: Packet = {
    ts,
    kind: 'other',
    ethertype: f.length >= 14 ? f.readUInt16BE(12) : 0,
    src: '',
    dst: '',
    proto: -1,
    sport: -1,
    dport: -1,
    flags: -1,
    fragment: false,
    len,
  };
  const l3 = f.subarray(14);
  if (p.ethertype === 0x0806 && l3.length >= 28) {
    p.kind = 'arp';
    p.src = ip4(l3, 14);
    p.dst = ip4(l3, 24);
  } else if (p.ethertype === 0x0800 && l3.length >= 20) {
    p.kind = 'ipv4';
    const ihl = ((l3[0] ?? 0) & 0xf) * 4;
    p.proto = l3[9] ?? -1;
    p.src = ip4(l3, 12);
    p.dst = ip4(l3, 16);
    p.fragment = (l3.readUInt16BE(6) & 0x1fff) !== 0;
    const l4 = l3.subarray(ihl);
    if (!p.fragment && (p.proto === 6 || p.proto === 17) && l4.length >= 4) {
      p.sport = l4.readUInt16BE(0);
      p.dport = l4.readUInt16BE(2);
      if (p.proto === 6 && l4.length >= 14) p.flags = l4[13] ?? -1;
    }
  } else if (p.ethertype === 0x86dd && l3.length >= 40) {
    p.kind = 'ipv6';
    p.proto = l3[6] ?? -1;
    p.src = ip6(l3, 8);
    p.dst = ip6(l3, 24);
  }
  return p;
}

/** Read a classic pcap file (µs or ns timestamps, Ethernet link type). */
export async function readPcap(file: string): Promise<Packet[]> {
  const b = await readFile(file);
  if (b.length < 24) return [];
  const magic = b.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && b.readUInt32BE(0) !== 0xa1b2c3d4 && b.readUInt32BE(0) !== 0xa1b23c4d) throw new Error(`${file}: not a pcap file`);
  const u32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const nano = (le ? magic : b.readUInt32BE(0)) === 0xa1b23c4d;
  const linktype = u32(20);
  if (linktype !== 1) throw new Error(`${file}: link type ${linktype}, expected Ethernet`);
  const out: Packet[] = [];
  for (let o = 24; o + 16 <= b.length;) {
    const sec = u32(o),
      frac = u32(o + 4),
      incl = u32(o + 8),
      orig = u32(o + 12);
    if (o + 16 + incl > b.length) break; // a record cut short by the stop
    out.push(parseFrame(sec * 1000 + (nano ? frac / 1e6 : frac / 1e3), b.subarray(o + 16, o + 16 + incl), orig));
    o += 16 + incl;
  }
  return out;
}

/** One line describing a packet, for the report of leaks. */
export function describe(p: Packet): string {
  const t = new Date(p.ts).toISOString().slice(11, 23);
  if (p.kind === 'arp') return `${t} ARP ${p.src} -> ${p.dst}`;
  if (p.kind === 'other') return `${t} ethertype 0x${p.ethertype.toString(16)} len ${p.len}`;
  const ports = p.sport >= 0 ? ` ${p.sport}->${p.dport}` : '';
  const flags = p.flags >= 0 ? ` flags 0x${p.flags.toString(16)}` : '';
  return `${t} ${p.kind} proto ${p.proto} ${p.src} -> ${p.dst}${ports}${flags}${p.fragment ? ' fragment' : ''} len ${p.len}`;
}
