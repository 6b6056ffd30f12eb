// The backup format: header and record parsing (bounds, tables of invalid fields), round trips, and every tamper a restore must refuse.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { join } from 'node:path';
import { BulkheadError } from '../../errors/index.js';
import {
  DEFAULT_SCRYPT,
  HEADER_BODY_BYTES,
  HEADER_BYTES,
  LIMITS,
  RECORD_HEADER_BYTES,
  RecordKind,
  encodeHeaderBody,
  encodeRecordHeader,
  parseHeader,
  parseRecordHeader,
  recordAad,
} from './format.js';
import { PASS, readAll, tempDir, writeSample } from './testing.test-util.js';

const header = () =>
  Buffer.concat([
    encodeHeaderBody({ scrypt: DEFAULT_SCRYPT, chunkSize: 1 << 20, backupId: randomBytes(16), salt: randomBytes(32), createdAtMs: 1_700_000_000_000 }),
    Buffer.alloc(32),
  ]);
const code = (e: unknown) => (e as BulkheadError).code;

describe('header', () => {
  it('round-trips every field', () => {
    const h = header();
    const p = parseHeader(h);
    assert.deepEqual(p.scrypt, DEFAULT_SCRYPT);
    assert.equal(p.chunkSize, 1 << 20);
    assert.equal(p.createdAtMs, 1_700_000_000_000);
    assert.equal(p.body.length, HEADER_BODY_BYTES);
    assert.equal(h.length, HEADER_BYTES);
  });

  const cases: [string, (b: Buffer) => void, RegExp][] = [
    [
      'magic',
      (b) => {
        b[0] = 0x41;
      },
      /magic/,
    ],
    ['version', (b) => b.writeUInt16BE(2, 8), /version 2/],
    ['kdf', (b) => b.writeUInt8(2, 10), /key derivation 2/],
    ['log2N too small', (b) => b.writeUInt8(LIMITS.minLog2N - 1, 11), /log2\(N\)/],
    ['log2N too large', (b) => b.writeUInt8(LIMITS.maxLog2N + 1, 11), /log2\(N\)/],
    ['r = 0', (b) => b.writeUInt8(0, 12), /scrypt r/],
    ['r too large', (b) => b.writeUInt8(LIMITS.maxR + 1, 12), /scrypt r/],
    ['p = 0', (b) => b.writeUInt8(0, 13), /scrypt p/],
    [
      'memory bound',
      (b) => {
        b.writeUInt8(20, 11);
        b.writeUInt8(16, 12);
      },
      /memory/,
    ],
    ['cipher', (b) => b.writeUInt8(9, 14), /cipher 9/],
    ['compression', (b) => b.writeUInt8(0, 15), /compression 0/],
    ['chunk too small', (b) => b.writeUInt32BE(LIMITS.minChunk - 1, 16), /chunk size/],
    ['chunk too large', (b) => b.writeUInt32BE(LIMITS.maxChunk + 1, 16), /chunk size/],
    ['time', (b) => b.writeBigUInt64BE(2n ** 63n, 68), /creation time/],
  ];
  for (const [what, mutate, msg] of cases) {
    it(`refuses a bad ${what}`, () => {
      const b = header();
      mutate(b);
      assert.throws(
        () => parseHeader(b),
        (e) => code(e) === 'ERR_BACKUP' && msg.test((e as Error).message),
      );
    });
  }
  it('refuses a short header', () => {
    for (const n of [0, 1, 8, HEADER_BYTES - 1]) assert.throws(() => parseHeader(header().subarray(0, n)), /truncated/);
  });
});

describe('record header', () => {
  it('bounds the length by the chunk size and knows its kinds and flags', () => {
    const ok = encodeRecordHeader({ kind: RecordKind.data, flags: 1, entry: 3, index: 7, length: 100 });
    assert.deepEqual(parseRecordHeader(ok, 1 << 16, 0), { kind: 2, flags: 1, entry: 3, index: 7, length: 100 });
    assert.throws(() => parseRecordHeader(encodeRecordHeader({ kind: 2, flags: 0, entry: 0, index: 0, length: (1 << 16) + 17 }), 1 << 16, 0), /length/);
    assert.throws(() => parseRecordHeader(encodeRecordHeader({ kind: 2, flags: 0, entry: 0, index: 0, length: 15 }), 1 << 16, 0), /length/);
    assert.throws(() => parseRecordHeader(encodeRecordHeader({ kind: 4, flags: 0, entry: 0, index: 0, length: 16 }), 1 << 16, 0), /kind 4/);
    assert.throws(() => parseRecordHeader(encodeRecordHeader({ kind: 2, flags: 2, entry: 0, index: 0, length: 16 }), 1 << 16, 0), /flags/);
    assert.throws(() => parseRecordHeader(ok.subarray(0, RECORD_HEADER_BYTES - 1), 1 << 16, 0), /truncated/);
  });
  it('binds every field into the associated data', () => {
    const base = { backupId: Buffer.alloc(16, 1), headerMac: Buffer.alloc(32, 2), seq: 5n, kind: 2, flags: 0, entry: 1, index: 4, name: 'work/private.img' };
    const a = recordAad(base);
    for (const change of [
      { seq: 6n },
      { kind: 3 },
      { flags: 1 },
      { entry: 2 },
      { index: 5 },
      { name: 'work/root.img' },
      { backupId: Buffer.alloc(16, 9) },
      { headerMac: Buffer.alloc(32, 9) },
    ]) {
      assert.notDeepEqual(recordAad({ ...base, ...change }), a, JSON.stringify(Object.keys(change)));
    }
  });
});

describe('backup file', () => {
  const t = tempDir();
  after(t.done);
  let n = 0;
  const fresh = () => join(t.dir, `b${n++}.bhb`);
  // Two entries; the first spans several 64 KiB chunks, the second is empty, the third one chunk exactly.
  const payloads = [randomBytes(200_000), Buffer.alloc(0), randomBytes(65_536)];

  it('round-trips entries across chunk boundaries, an empty entry and an exact chunk', async () => {
    const f = fresh();
    await writeSample(f, payloads);
    const back = await readAll(f);
    assert.equal(back.length, 3);
    for (const [i, p] of payloads.entries()) assert.ok(back[i]!.equals(p), `entry ${i}`);
  });

  it('a wrong passphrase is one error before any record is read', async () => {
    const f = fresh();
    await writeSample(f, payloads);
    await assert.rejects(readAll(f, 'wrong'), (e) => code(e) === 'ERR_BACKUP_PASSPHRASE' && /wrong passphrase/.test((e as Error).message));
  });

  /** Every sink sees nothing usable: readAll's abort empties what was written. */
  async function refuses(mutate: (b: Buffer) => Buffer, msg: RegExp): Promise<void> {
    const f = fresh();
    await writeSample(f, payloads);
    writeFileSync(f, mutate(readFileSync(f)));
    await assert.rejects(readAll(f), (e) => (code(e) === 'ERR_BACKUP' || code(e) === 'ERR_BACKUP_PASSPHRASE') && msg.test((e as Error).message));
  }

  /** Offsets of every record: [start, length] after the header. */
  function records(b: Buffer): { at: number; len: number; kind: number }[] {
    const out = [];
    let at = HEADER_BYTES;
    while (at < b.length) {
      const len = RECORD_HEADER_BYTES + b.readUInt32BE(at + 8);
      out.push({ at, len, kind: b[at]! });
      at += len;
    }
    return out;
  }

  it('refuses a flipped byte anywhere in a record', async () => {
    const f = fresh();
    await writeSample(f, payloads);
    const orig = readFileSync(f);
    for (const r of records(orig)) {
      for (const off of [RECORD_HEADER_BYTES, r.len - 1, Math.floor(r.len / 2)]) {
        const b = Buffer.from(orig);
        b[r.at + off]! ^= 0x40;
        writeFileSync(f, b);
        await assert.rejects(readAll(f), /failed authentication|out of place|length/, `record at ${r.at} +${off}`);
      }
    }
  });
  it('refuses a flipped byte in the header (as a wrong passphrase: the MAC covers it)', async () => {
    await refuses((b) => {
      b[40]! ^= 1;
      return b;
    }, /wrong passphrase/);
    await refuses((b) => {
      b[HEADER_BYTES - 1]! ^= 1;
      return b;
    }, /wrong passphrase/);
  });
  it('refuses truncation at every record boundary and inside records', async () => {
    const f = fresh();
    await writeSample(f, payloads);
    const orig = readFileSync(f);
    for (const r of records(orig)) {
      for (const cut of [r.at, r.at + 5, r.at + r.len - 1]) {
        writeFileSync(f, orig.subarray(0, cut));
        await assert.rejects(readAll(f), /truncated/, `cut at ${cut}`);
      }
    }
  });
  it('refuses a dropped, swapped, duplicated or appended record', async () => {
    const cut = (b: Buffer) => records(b).map((r) => b.subarray(r.at, r.at + r.len));
    const rebuild = (b: Buffer, rs: Buffer[]) => Buffer.concat([b.subarray(0, HEADER_BYTES), ...rs]);
    await refuses((b) => {
      const rs = cut(b);
      rs.splice(2, 1);
      return rebuild(b, rs);
    }, /out of place|failed authentication/);
    await refuses((b) => {
      const rs = cut(b);
      [rs[1], rs[2]] = [rs[2]!, rs[1]!];
      return rebuild(b, rs);
    }, /out of place|failed authentication/);
    await refuses((b) => {
      const rs = cut(b);
      rs.splice(2, 0, rs[2]!);
      return rebuild(b, rs);
    }, /out of place|failed authentication/);
    // The trailer dropped: the end of an entry looks like the end of the file.
    await refuses((b) => {
      const rs = cut(b);
      rs.pop();
      return rebuild(b, rs);
    }, /truncated/);
    await refuses((b) => Buffer.concat([b, Buffer.from('x')]), /after the trailer/);
  });
  it('refuses a record whose header was rewritten to fit its new place', async () => {
    // Swap chunk 0 and 1 of entry 0 and fix their index fields: only the AEAD can tell.
    await refuses((b) => {
      const rs = records(b).map((r) => Buffer.from(b.subarray(r.at, r.at + r.len)));
      const [a, c] = [rs[1]!, rs[2]!];
      a.writeUInt32BE(1, 4);
      c.writeUInt32BE(0, 4);
      [rs[1], rs[2]] = [c, a];
      return Buffer.concat([b.subarray(0, HEADER_BYTES), ...rs]);
    }, /failed authentication/);
  });
  it('refuses a record taken from another backup with the same passphrase', async () => {
    const f2 = fresh();
    await writeSample(f2, payloads, PASS);
    const other = readFileSync(f2);
    const ro = records(other);
    await refuses((b) => {
      const rs = records(b);
      const r = rs[1]!;
      const o = ro[1]!;
      return Buffer.concat([b.subarray(0, r.at), other.subarray(o.at, o.at + o.len), b.subarray(r.at + r.len)]);
    }, /failed authentication/);
  });
});
