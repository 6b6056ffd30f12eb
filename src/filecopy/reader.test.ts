// Tests of the file-copy stream encoder and validating decoder, with a fuzzer over the decoder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { encodeStream, type Entry } from './encode.js';
import { decodeResult, encodeResult, Errno, S_IFREG, S_IFDIR } from './format.js';
import { crc32 } from './crc32.js';
import { decodeStream, FilecopyError, FilecopyReader, type FilecopyEvent } from './reader.js';

const enc = new TextEncoder();
const tree: Entry[] = [
  { kind: 'dir', name: 'd' },
  { kind: 'file', name: 'd/a.txt', data: enc.encode('hello\n'), mode: 0o640 },
  { kind: 'file', name: 'd/empty', data: new Uint8Array(0) },
  { kind: 'symlink', name: 'd/l', target: 'a.txt' },
  { kind: 'dir', name: 'd', mode: 0o750 },
];

function feed(stream: Uint8Array, sizes: () => number, limits = {}): { events: FilecopyEvent[]; reader: FilecopyReader } {
  const reader = new FilecopyReader(limits);
  const events: FilecopyEvent[] = [];
  for (let i = 0; i < stream.length;) {
    const n = Math.max(1, sizes());
    events.push(...reader.push(stream.subarray(i, i + n)));
    i += n;
  }
  reader.finish();
  return { events, reader };
}

test('crc32 matches the standard check value', () => {
  assert.equal(crc32(0, enc.encode('123456789')), 0xcbf43926);
  assert.equal(crc32(crc32(0, enc.encode('1234')), enc.encode('56789')), 0xcbf43926);
});

test('a tree round-trips, whatever the chunking; crc covers every byte', () => {
  const s = encodeStream(tree);
  for (const size of [1, 3, 7, 32, 33, 1000]) {
    const { events, reader } = feed(s, () => size);
    const kinds = events.filter((e) => e.type !== 'data').map((e) => e.type);
    assert.deepEqual(kinds, ['dir', 'file', 'file-end', 'file', 'file-end', 'symlink', 'dir', 'end']);
    const data = Buffer.concat(events.flatMap((e) => (e.type === 'data' ? [e.bytes] : [])));
    assert.equal(data.toString(), 'hello\n');
    const f = events.find((e) => e.type === 'file');
    assert.ok(f && f.type === 'file' && f.name === 'd/a.txt' && f.perm === 0o640);
    assert.equal(reader.result().crc32, crc32(0, s));
    assert.equal(reader.result().errno, 0);
  }
});

function refusal(entries: Entry[], limits = {}, end = true): FilecopyError {
  try {
    decodeStream(encodeStream(entries, { end }), limits);
  } catch (e) {
    assert.ok(e instanceof FilecopyError, String(e));
    return e;
  }
  assert.fail('stream was accepted');
}

test('unsafe names are refused with EILSEQ and the name', () => {
  const e = refusal([{ kind: 'file', name: '../x', data: new Uint8Array(1) }]);
  assert.equal(e.errno, Errno.EILSEQ);
  assert.equal(Buffer.from(e.lastName).toString(), '../x');
});

test('unsafe symlink target is refused and named', () => {
  const e = refusal([
    { kind: 'dir', name: 'd' },
    { kind: 'symlink', name: 'd/l', target: '../../etc' },
  ]);
  assert.equal(e.errno, Errno.EILSEQ);
  assert.equal(Buffer.from(e.lastName).toString(), '../../etc');
});

test('a name field without its NUL is refused', () => {
  const e = refusal([{ kind: 'raw', header: { mode: S_IFREG }, nameField: enc.encode('abc') }]);
  assert.equal(e.errno, Errno.EILSEQ);
});

test('devices, fifos and sockets are refused with EINVAL', () => {
  for (const mode of [0o020644, 0o060644, 0o010644, 0o140644, 0]) {
    const e = refusal([{ kind: 'raw', header: { mode }, nameField: enc.encode('x\0') }]);
    assert.equal(e.errno, Errno.EINVAL, mode.toString(8));
  }
});

test('a directory with a length, and bad nanoseconds, are refused', () => {
  assert.equal(refusal([{ kind: 'raw', header: { mode: S_IFDIR | 0o755, filelen: 5n }, nameField: enc.encode('x\0') }]).errno, Errno.EINVAL);
  assert.equal(refusal([{ kind: 'raw', header: { mode: S_IFDIR | 0o755, mtimeNsec: 1e9 }, nameField: enc.encode('x\0') }]).errno, Errno.EINVAL);
});

test('too long names are refused before they are read', () => {
  const e = refusal([{ kind: 'raw', header: { mode: S_IFREG, namelen: 16384 }, nameField: new Uint8Array(0) }]);
  assert.equal(e.errno, Errno.ENAMETOOLONG);
});

test('byte and count limits', () => {
  const files: Entry[] = [1, 2, 3].map((i) => ({ kind: 'file', name: `f${i}`, data: new Uint8Array(10) }));
  assert.equal(refusal(files, { maxFiles: 2 }).errno, Errno.EDQUOT);
  assert.equal(refusal(files, { maxBytes: 29n }).errno, Errno.EDQUOT);
  assert.doesNotThrow(() => decodeStream(encodeStream(files), { maxFiles: 3, maxBytes: 30n }));
  assert.equal(
    refusal([{ kind: 'raw', header: { mode: S_IFREG, filelen: 2n ** 64n - 1n }, nameField: enc.encode('x\0') }], { maxBytes: 100n }).errno,
    Errno.EDQUOT,
  );
});

test('a stream cut short is refused: no end marker, or inside an entry', () => {
  assert.equal(refusal(tree, {}, false).errno, Errno.EREMOTEIO);
  const s = encodeStream(tree);
  assert.throws(
    () => decodeStream(s.subarray(0, 40)),
    (e: unknown) => e instanceof FilecopyError && e.errno === Errno.LEGAL_EOF,
  );
});

test('result encodes and decodes; a short result has no name', () => {
  const r = { errno: 84, crc32: 0xdeadbeef, lastName: enc.encode('a/b') };
  assert.deepEqual(decodeResult(encodeResult(r)), r);
  assert.equal(decodeResult(encodeResult(r).subarray(0, 16)).lastName.length, 0);
});

test('fuzz: random bytes and mutated streams only ever give FilecopyError', () => {
  const base = encodeStream(tree);
  let refused = 0;
  for (let round = 0; round < 3000; round++) {
    let s: Uint8Array;
    if (round % 2) s = randomBytes(Math.floor(Math.random() * 200));
    else {
      s = Uint8Array.from(base);
      for (let k = 0; k < 1 + (round % 5); k++) s[Math.floor(Math.random() * s.length)] = Math.floor(Math.random() * 256);
    }
    const r = new FilecopyReader({ maxBytes: 1n << 20n, maxFiles: 100 });
    try {
      for (let i = 0; i < s.length;) {
        const n = 1 + Math.floor(Math.random() * 40);
        r.push(s.subarray(i, i + n));
        i += n;
      }
      r.finish();
    } catch (e) {
      if (!(e instanceof FilecopyError)) throw e;
      refused++;
    }
  }
  assert.ok(refused > 1500);
});
