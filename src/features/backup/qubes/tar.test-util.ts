// Unit-test helper: tar members built byte by byte (ustar headers, pax records, GNU sparse 1.0), to feed the parsers.
import { BLOCK } from './tar-header.js';

export function tarHeader(name: string, size: number, type = '0', magic: 'ustar\0' | 'ustar ' = 'ustar\0'): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100, 'latin1');
  h.write('0000000\0', 108, 'latin1');
  h.write('0000000\0', 116, 'latin1');
  h.write(size.toString(8).padStart(11, '0') + '\0', 124, 'latin1');
  h.write('00000000000\0', 136, 'latin1');
  h.write(type, 156, 'latin1');
  h.write(magic, 257, 'latin1');
  h.write(magic === 'ustar\0' ? '00' : ' \0', 263, 'latin1');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return h;
}

export function pad(data: Buffer): Buffer {
  const n = Math.ceil(data.length / BLOCK) * BLOCK;
  return Buffer.concat([data, Buffer.alloc(n - data.length)]);
}

export function paxRecords(rec: Record<string, string>): Buffer {
  const parts = Object.entries(rec).map(([k, v]) => {
    const body = ` ${k}=${v}\n`;
    let len = body.length + 1;
    while (String(len).length + body.length !== len) len += 1;
    return `${len}${body}`;
  });
  return Buffer.from(parts.join(''), 'utf8');
}

export function member(name: string, data: Buffer, type = '0'): Buffer {
  return Buffer.concat([tarHeader(name, data.length, type), pad(data)]);
}

export function paxMember(rec: Record<string, string>): Buffer {
  return member('PaxHeaders/x', paxRecords(rec), 'x');
}

/** A GNU sparse 1.0 member as Qubes' tarwriter writes it: pax records, then map and data segments. */
export function sparseMember(name: string, realSize: number, segs: { offset: number; data: Buffer }[]): Buffer {
  const map = pad(Buffer.from(`${segs.length}\n${segs.map((s) => `${s.offset}\n${s.data.length}\n`).join('')}`, 'latin1'));
  const body = Buffer.concat([map, ...segs.map((s) => s.data)]);
  return Buffer.concat([
    paxMember({ 'GNU.sparse.major': '1', 'GNU.sparse.minor': '0', 'GNU.sparse.name': name, 'GNU.sparse.realsize': String(realSize) }),
    member(`GNUSparseFile.1/${name.split('/').pop()}`, body),
  ]);
}

export const END = Buffer.alloc(2 * BLOCK);
