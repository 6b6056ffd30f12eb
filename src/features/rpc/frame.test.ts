// Tests of the RPC frame encoder and incremental reader: round trips, every error form, fuzzing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import {
  encodeCall,
  encodeData,
  encodeEof,
  encodeError,
  encodeExit,
  encodeFrame,
  encodeHello,
  FRAME_MAX_PAYLOAD,
  FrameError,
  FrameReader,
  FrameType,
  payload,
  readFrames,
  StreamId,
  type Frame,
  type FrameErrorReason,
} from './frame.js';

function readAll(bytes: Uint8Array, chunk: () => number): Frame[] {
  const r = new FrameReader();
  const out: Frame[] = [];
  for (let i = 0; i < bytes.length;) {
    const n = Math.max(1, chunk());
    out.push(...r.push(bytes.subarray(i, i + n)));
    i += n;
  }
  r.end();
  return out;
}

function randomFrame(): Buffer {
  switch (randomInt(7)) {
    case 0:
      return encodeHello(randomInt(1000));
    case 1:
      return encodeCall('vm' + randomInt(99), 'qubes.Filecopy+' + randomInt(9));
    case 2:
      return encodeFrame(
        [FrameType.STDIN, FrameType.STDOUT, FrameType.STDERR][randomInt(3)] as 3,
        randomBytes(1 + randomInt(randomInt(2) ? 100 : FRAME_MAX_PAYLOAD)),
      );
    case 3:
      return encodeEof(randomInt(3) as StreamId);
    case 4:
      return encodeExit(randomInt(-5, 256));
    case 5:
      return encodeError(randomInt(200), 'refused ✓');
    default:
      return encodeFrame(FrameType.CALL, Buffer.alloc(0));
  }
}

test('header layout: type, three zero bytes, little-endian length', () => {
  assert.deepEqual([...encodeFrame(FrameType.STDOUT, Buffer.from('hi'))], [4, 0, 0, 0, 2, 0, 0, 0, 0x68, 0x69]);
  assert.deepEqual([...encodeExit(126)], [7, 0, 0, 0, 4, 0, 0, 0, 126, 0, 0, 0]);
});

test('typed payloads round-trip', () => {
  const frames = readAll(
    Buffer.concat([encodeHello(), encodeCall('work', 'qubes.Filecopy+x'), encodeEof(StreamId.STDERR), encodeExit(-1), encodeError(13, 'denied')]),
    () => 3,
  );
  assert.equal(payload.hello(frames[0]!), 1);
  assert.deepEqual(payload.call(frames[1]!), { target: 'work', service: 'qubes.Filecopy+x' });
  assert.equal(payload.eof(frames[2]!), StreamId.STDERR);
  assert.equal(payload.exit(frames[3]!), -1);
  assert.deepEqual(payload.error(frames[4]!), { code: 13, message: 'denied' });
});

test('data is split into frames of at most 64 KiB; empty data gives none', () => {
  const data = randomBytes(FRAME_MAX_PAYLOAD * 2 + 5);
  const frames = encodeData(FrameType.STDOUT, data);
  assert.equal(frames.length, 3);
  const back = readAll(Buffer.concat(frames), () => 4096);
  assert.deepEqual(Buffer.concat(back.map((f) => f.payload)), data);
  assert.equal(encodeData(FrameType.STDIN, new Uint8Array(0)).length, 0);
});

const errorCases: Array<[string, number[], FrameErrorReason]> = [
  ['unknown type 0', [0, 0, 0, 0, 0, 0, 0, 0], 'unknown-type'],
  ['unknown type 9', [9, 0, 0, 0, 1, 0, 0, 0, 1], 'unknown-type'],
  ['unknown type 255', [255, 0, 0, 0, 0, 0, 0, 0], 'unknown-type'],
  ['oversize by one', [4, 0, 0, 0, 1, 0, 1, 0], 'oversize'],
  ['oversize 4 GiB', [4, 0, 0, 0, 255, 255, 255, 255], 'oversize'],
  ['reserved byte set', [4, 1, 0, 0, 1, 0, 0, 0, 0], 'reserved'],
  ['reserved byte 3 set', [4, 0, 0, 128, 1, 0, 0, 0, 0], 'reserved'],
  ['empty STDOUT', [4, 0, 0, 0, 0, 0, 0, 0], 'bad-payload'],
  ['EXIT with 3 bytes', [7, 0, 0, 0, 3, 0, 0, 0, 1, 2, 3], 'bad-payload'],
  ['EOF with 2 bytes', [6, 0, 0, 0, 2, 0, 0, 0, 0, 0], 'bad-payload'],
  ['EOF of stream 3', [6, 0, 0, 0, 1, 0, 0, 0, 3], 'bad-payload'],
  ['HELLO too short', [1, 0, 0, 0, 2, 0, 0, 0, 1, 0], 'bad-payload'],
  ['ERROR too short', [8, 0, 0, 0, 0, 0, 0, 0], 'bad-payload'],
  ['cut header', [4, 0, 0], 'truncated'],
  ['cut payload', [4, 0, 0, 0, 5, 0, 0, 0, 1, 2], 'truncated'],
];
for (const [why, bytes, reason] of errorCases) {
  test(`refuses: ${why} (${reason})`, () => {
    for (const size of [1, 2, 100]) {
      assert.throws(
        () => readAll(Uint8Array.from(bytes), () => size),
        (e: unknown) => e instanceof FrameError && e.reason === reason && e.code === 'ERR_BAD_REQUEST',
      );
    }
  });
}

test('frames completed before an error in the same chunk are kept on the error', () => {
  const r = new FrameReader();
  const bytes = Buffer.concat([encodeExit(3), encodeEof(StreamId.STDOUT), Buffer.from([9, 0, 0, 0, 0, 0, 0, 0])]);
  try {
    r.push(bytes);
    assert.fail('accepted');
  } catch (e) {
    assert.ok(e instanceof FrameError && e.reason === 'unknown-type');
    assert.deepEqual(
      e.frames.map((f) => f.type),
      [FrameType.EXIT, FrameType.EOF],
    );
  }
});

test('the reader stays failed after an error', () => {
  const r = new FrameReader();
  assert.throws(() => r.push(Uint8Array.of(9, 0, 0, 0, 0, 0, 0, 0)), FrameError);
  assert.throws(() => r.push(encodeExit(0)), FrameError);
  assert.throws(() => r.end(), FrameError);
});

test('the encoder refuses what the reader would refuse', () => {
  assert.throws(
    () => encodeFrame(FrameType.STDOUT, Buffer.alloc(FRAME_MAX_PAYLOAD + 1)),
    (e: unknown) => e instanceof FrameError && e.reason === 'oversize',
  );
  assert.throws(
    () => encodeFrame(9 as FrameType),
    (e: unknown) => e instanceof FrameError && e.reason === 'unknown-type',
  );
  assert.throws(
    () => encodeFrame(FrameType.EOF, Uint8Array.of(7)),
    (e: unknown) => e instanceof FrameError && e.reason === 'bad-payload',
  );
  assert.throws(() => encodeCall('a\0b', 'x'), FrameError);
});

test('property: random frame sequences round-trip under random chunkings', () => {
  for (let round = 0; round < 200; round++) {
    const frames = Array.from({ length: 1 + randomInt(20) }, randomFrame);
    const bytes = Buffer.concat(frames);
    const max = [1, 7, 64, 70000][round % 4]!;
    const got = readAll(bytes, () => 1 + randomInt(max));
    assert.equal(got.length, frames.length);
    assert.deepEqual(Buffer.concat(got.map((f) => encodeFrame(f.type, f.payload))), bytes);
  }
});

test('readFrames over an async source', async () => {
  async function* src() {
    yield encodeHello().subarray(0, 3);
    yield Buffer.concat([encodeHello().subarray(3), encodeExit(0)]);
  }
  const got: number[] = [];
  for await (const f of readFrames(src())) got.push(f.type);
  assert.deepEqual(got, [FrameType.HELLO, FrameType.EXIT]);
  async function* cut() {
    yield encodeExit(0).subarray(0, 5);
  }
  await assert.rejects(
    async () => {
      for await (const _ of readFrames(cut())) void _;
    },
    (e: unknown) => e instanceof FrameError && e.reason === 'truncated',
  );
});

test('fuzz: random and mutated streams give frames or a FrameError, never anything else', () => {
  let errors = 0;
  for (let round = 0; round < 5000; round++) {
    let bytes: Buffer;
    if (round % 2) bytes = randomBytes(randomInt(300));
    else {
      bytes = Buffer.concat(Array.from({ length: 1 + randomInt(5) }, randomFrame));
      for (let k = 0; k < 1 + randomInt(4); k++) bytes[randomInt(bytes.length)] = randomInt(256);
    }
    const r = new FrameReader();
    try {
      for (let i = 0; i < bytes.length;) {
        const n = 1 + randomInt(50);
        for (const f of r.push(bytes.subarray(i, i + n))) assert.ok(f.payload.length <= FRAME_MAX_PAYLOAD);
        i += n;
      }
      r.end();
    } catch (e) {
      if (!(e instanceof FrameError)) throw e;
      errors++;
    }
  }
  assert.ok(errors > 2000, `only ${errors} errors`);
});
