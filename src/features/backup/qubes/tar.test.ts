// Tests of the outer index, the chunk layout and the streaming inner tar parser (plain and GNU sparse 1.0), with the forms each refuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { layoutOf } from './chunks.js';
import { InnerTarParser, type InnerSink } from './inner-tar.js';
import { indexOuterTar } from './outer-tar.js';
import { checkMemberName, parsePax } from './tar-header.js';
import { END, member, pad, paxMember, paxRecords, sparseMember, tarHeader } from './tar.test-util.js';

const reader = (b: Buffer) => (off: number, len: number) => b.subarray(off, off + len);

test('the outer index reads concatenated one-member archives, pax paths and sizes', () => {
  const a = Buffer.concat([
    member('backup-header', Buffer.from('h')),
    END,
    Buffer.alloc(8192),
    paxMember({ path: 'vm1/private.img.000.enc' }),
    member('PaxHeaders/x', Buffer.from('abc')),
    END,
  ]);
  const m = indexOuterTar(reader(a), a.length);
  assert.deepEqual(
    m.map((x) => [x.name, x.size]),
    [
      ['backup-header', 1],
      ['vm1/private.img.000.enc', 3],
    ],
  );
  assert.equal(a.subarray(m[1]!.offset, m[1]!.offset + 3).toString(), 'abc');
});

test('the outer index refuses truncation, duplicates, links and unsafe names', () => {
  const one = member('a.000.enc', Buffer.alloc(700, 1));
  assert.throws(() => indexOuterTar(reader(one.subarray(0, 900)), 900), /truncated/);
  assert.throws(() => indexOuterTar(reader(one.subarray(0, 1030)), 1030), /truncated/);
  const dup = Buffer.concat([one, one]);
  assert.throws(() => indexOuterTar(reader(dup), dup.length), /appears twice/);
  const link = tarHeader('evil', 0, '2');
  assert.throws(() => indexOuterTar(reader(link), link.length), /tar type '2'/);
  for (const n of ['../etc/passwd', '/abs', 'a/./b', 'a b', 'a//b']) assert.throws(() => checkMemberName(n, 'w'), /member name/, n);
  const bad = tarHeader('x', 0);
  bad[148] = 0x39;
  assert.throws(() => indexOuterTar(reader(bad), bad.length), /checksum/);
});

test('chunks: grouped per file in order; missing, reordered, doubled or interleaved chunks are named', () => {
  const ms = (names: string[]) => names.map((name, i) => ({ name, offset: i * 1024, size: 100 }));
  const head = ['backup-header', 'backup-header.hmac'];
  const l = layoutOf(ms([...head, 'qubes.xml.000.enc', 'vm1/private.img.000.enc', 'vm1/private.img.001.enc']));
  assert.deepEqual([...l.files.keys()], ['qubes.xml', 'vm1/private.img']);
  assert.deepEqual(
    l.files.get('vm1/private.img')!.map((c) => c.plainName),
    ['vm1/private.img.000', 'vm1/private.img.001'],
  );
  assert.throws(() => layoutOf(ms([...head, 'vm1/private.img.001.enc'])), /vm1\/private\.img\.001\.enc: chunk vm1\/private\.img\.000\.enc is missing/);
  assert.throws(() => layoutOf(ms([...head, 'a.000.enc', 'a.002.enc'])), /a\.002\.enc: chunk a\.001\.enc is missing/);
  assert.throws(() => layoutOf(ms([...head, 'a.000.enc', 'a.001.enc', 'a.001.enc'])), /a\.001\.enc: comes after chunk 001/);
  assert.throws(() => layoutOf(ms([...head, 'a.000.enc', 'b.000.enc', 'a.001.enc'])), /not contiguous/);
  assert.throws(() => layoutOf(ms([...head, 'a.000'])), /neither the header nor an encrypted chunk/);
  assert.throws(() => layoutOf(ms(['backup-header'])), /no backup-header\.hmac/);
});

function collect(): InnerSink & { files: { name: string; size: number; data: Buffer }[] } {
  const files: { name: string; size: number; data: Buffer }[] = [];
  return {
    files,
    begin(name, size) {
      files.push({ name, size, data: Buffer.alloc(size) });
    },
    data(off, b) {
      b.copy(files[files.length - 1]!.data, off);
    },
    end() {},
  };
}
const parse = (bytes: Buffer, step = bytes.length, max = 1 << 20) => {
  const s = collect();
  const p = new InnerTarParser('f', s, { maxRealSize: max });
  for (let i = 0; i < bytes.length; i += step) p.push(bytes.subarray(i, i + step));
  p.finish();
  return s.files;
};

test('inner archives: a plain file and a GNU sparse 1.0 image, fed in any piece sizes', () => {
  const plain = Buffer.concat([member('qubes.xml', Buffer.from('<qubes/>')), END, Buffer.alloc(9216)]);
  for (const step of [1, 7, 512, 100000])
    assert.deepEqual(
      parse(plain, step).map((f) => [f.name, f.data.toString()]),
      [['qubes.xml', '<qubes/>']],
    );
  const sparse = Buffer.concat([
    sparseMember('vm1/private.img', 10000, [
      { offset: 0, data: Buffer.from('AB') },
      { offset: 4096, data: Buffer.alloc(600, 7) },
      { offset: 10000, data: Buffer.alloc(0) },
    ]),
    END,
  ]);
  for (const step of [1, 13, 512, 1 << 20]) {
    const [f] = parse(sparse, step);
    assert.equal(f!.name, 'vm1/private.img');
    assert.equal(f!.size, 10000);
    assert.equal(f!.data.subarray(0, 2).toString(), 'AB');
    assert.equal(f!.data[4096 + 599], 7);
    assert.equal(f!.data[3000], 0);
  }
});

test('inner archives: a truncated stream, a bad map, a too large file, a link are refused', () => {
  const plain = Buffer.concat([member('x', Buffer.alloc(2000, 1)), END]);
  assert.throws(() => parse(plain.subarray(0, 1500)), /ends early/);
  assert.throws(() => parse(plain.subarray(0, 512 + 2048)), /ends early/);
  assert.throws(() => parse(Buffer.concat([member('x', Buffer.alloc(10)), END, Buffer.from([1])])), /data after the end/);
  assert.throws(() => parse(plain, plain.length, 100), /more than the 100 accepted/);
  assert.throws(() => parse(Buffer.concat([tarHeader('l', 0, '2'), END])), /tar type '2'/);
  const overlap = Buffer.concat([
    sparseMember('i', 100, [
      { offset: 50, data: Buffer.alloc(10) },
      { offset: 55, data: Buffer.alloc(10) },
    ]),
    END,
  ]);
  assert.throws(() => parse(overlap), /overlap/);
  const beyond = Buffer.concat([sparseMember('i', 100, [{ offset: 95, data: Buffer.alloc(10) }]), END]);
  assert.throws(() => parse(beyond), /beyond the real size/);
  const wrongSize = Buffer.concat([
    paxMember({ 'GNU.sparse.major': '1', 'GNU.sparse.minor': '0', 'GNU.sparse.name': 'i', 'GNU.sparse.realsize': '10' }),
    member('i', Buffer.concat([pad(Buffer.from('1\n0\n5\n')), Buffer.alloc(9)])),
    END,
  ]);
  assert.throws(() => parse(wrongSize), /does not match its map/);
  const old = Buffer.concat([paxMember({ 'GNU.sparse.major': '0', 'GNU.sparse.minor': '1', 'GNU.sparse.realsize': '10' }), member('i', Buffer.alloc(0)), END]);
  assert.throws(() => parse(old), /sparse format 0\.1 is not supported/);
  assert.throws(() => parse(Buffer.alloc(1024)), /holds no file/);
});

test('pax records: lengths are checked', () => {
  assert.deepEqual(
    [...parsePax(paxRecords({ path: 'a b', size: '12' }), 'w')],
    [
      ['path', 'a b'],
      ['size', '12'],
    ],
  );
  assert.throws(() => parsePax(Buffer.from('99 path=x\n'), 'w'), /overruns/);
  assert.throws(() => parsePax(Buffer.from('x path=x\n'), 'w'), /length/);
  assert.throws(() => parsePax(Buffer.from('9 pathx\n\n'), 'w'), /key=value/);
});
