// IPv4/IPv6 address and prefix parsing for firewall rules, without node:net (this folder is pure).

import { parseIpv4 } from '../model/addresses.js';

export type IpFamily = 4 | 6;

export interface IpPrefix {
  family: IpFamily;
  /** Address bytes (4 or 16), host bits as written. */
  bytes: number[];
  prefix: number;
}

/** Dotted-quad IPv4 as its four bytes (the model's one parser: inet_pton's rules, no leading zeros). */
export function parseIPv4(text: string): number[] | null {
  const n = parseIpv4(text);
  return n === undefined ? null : [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

/** Parses IPv6 text (RFC 4291 forms, `::` compression, trailing dotted IPv4). No zone ids. */
export function parseIPv6(text: string): number[] | null {
  if (text.length < 2 || text.length > 45) return null;
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    const items = s.split(':');
    for (let i = 0; i < items.length; i++) {
      const g = items[i] as string;
      if (g.includes('.')) {
        if (i !== items.length - 1) return null;
        const v4 = parseIPv4(g);
        if (!v4) return null;
        out.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
        out.push(parseInt(g, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0] as string);
  if (!head) return null;
  let words: number[];
  if (halves.length === 2) {
    const tail = groups(halves[1] as string);
    if (!tail) return null;
    // a dotted IPv4 may only end the address
    if ((halves[0] as string).includes('.')) return null;
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return null;
    words = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    if (head.length !== 8) return null;
    words = head;
  }
  const bytes: number[] = [];
  for (const w of words) bytes.push(w >> 8, w & 0xff);
  return bytes;
}

export function formatIPv4(bytes: readonly number[]): string {
  return bytes.join('.');
}

/** RFC 5952 text: lowercase, longest run (≥2) of zero groups compressed. */
export function formatIPv6(bytes: readonly number[]): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((bytes[i] as number) << 8) | (bytes[i + 1] as number));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(':');
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
}

export function formatAddress(family: IpFamily, bytes: readonly number[]): string {
  return family === 4 ? formatIPv4(bytes) : formatIPv6(bytes);
}

/** Clears the host bits of an address for a prefix length. */
export function maskBytes(bytes: readonly number[], prefix: number): number[] {
  return bytes.map((b, i) => {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    return b & ((0xff << (8 - keep)) & 0xff);
  });
}

/** Parses a bare address (either family). */
export function parseAddress(text: string): { family: IpFamily; bytes: number[] } | null {
  const v4 = parseIPv4(text);
  if (v4) return { family: 4, bytes: v4 };
  if (text.includes(':')) {
    const v6 = parseIPv6(text);
    if (v6) return { family: 6, bytes: v6 };
  }
  return null;
}

/** The network in nft notation: `10.0.0.0/8`, or the bare address for a full-length prefix. */
export function networkText(p: IpPrefix): string {
  const full = p.family === 4 ? 32 : 128;
  const addr = formatAddress(p.family, maskBytes(p.bytes, p.prefix));
  return p.prefix === full ? addr : `${addr}/${p.prefix}`;
}
