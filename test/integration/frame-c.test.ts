// The C frame decoder (native/bh-frame.h) agrees with the TS FrameReader on valid and invalid streams.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { join } from 'node:path';
import {
  encodeCall,
  encodeEof,
  encodeError,
  encodeExit,
  encodeFrame,
  encodeHello,
  FRAME_MAX_PAYLOAD,
  FrameError,
  FrameReader,
  FrameType,
  type StreamId,
} from '../../src/features/rpc/frame.js';
import { buildNative, ROOT } from './filecopy-helpers.js';

const ECHO = join(ROOT, 'native/build/bh-frame-echo');
before(buildNative);

function echo(input: Buffer): Promise<{ code: number | null; out: Buffer; err: string }> {
  const c = spawn(ECHO, [], { stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let err = '';
  c.stdout.on('data', (d: Buffer) => out.push(d));
  c.stderr.on('data', (d: Buffer) => {
    err += d;
  });
  c.stdin.on('error', () => undefined);
  c.stdin.end(input);
  return new Promise((res) => c.on('close', (code) => res({ code, out: Buffer.concat(out), err })));
}

function tsVerdict(input: Buffer): { frames: Buffer; reason?: string } {
  const r = new FrameReader();
  const frames: Buffer[] = [];
  try {
    // byte by byte, so frames completed before an error are kept (push throws for its whole chunk)
    for (let i = 0; i < input.length; i++) for (const f of r.push(input.subarray(i, i + 1))) frames.push(encodeFrame(f.type, f.payload));
    r.end();
    return { frames: Buffer.concat(frames) };
  } catch (e) {
    if (!(e instanceof FrameError)) throw e;
    return { frames: Buffer.concat(frames), reason: e.reason };
  }
}

function randomFrame(): Buffer {
  switch (randomInt(6)) {
    case 0:
      return encodeHello(randomInt(9));
    case 1:
      return encodeCall('vm', 'qubes.GetDate');
    case 2:
      return encodeFrame(FrameType.STDOUT, randomBytes(1 + randomInt(randomInt(2) ? 50 : FRAME_MAX_PAYLOAD)));
    case 3:
      return encodeEof(randomInt(3) as StreamId);
    case 4:
      return encodeExit(randomInt(256));
    default:
      return encodeError(1, 'x');
  }
}

test('valid streams pass through the C decoder unchanged', async () => {
  for (let round = 0; round < 30; round++) {
    const input = Buffer.concat(Array.from({ length: 1 + randomInt(30) }, randomFrame));
    const r = await echo(input);
    assert.equal(r.code, 0, r.err);
    assert.ok(r.out.equals(input));
  }
});

test('invalid and mutated streams: C and TS give the same frames and the same error reason', async () => {
  const cases: Buffer[] = [
    Buffer.from([9, 0, 0, 0, 0, 0, 0, 0]),
    Buffer.from([4, 0, 0, 0, 1, 0, 1, 0]),
    Buffer.from([4, 0, 1, 0, 1, 0, 0, 0, 1]),
    Buffer.from([4, 0, 0, 0, 0, 0, 0, 0]),
    Buffer.from([7, 0, 0, 0, 3, 0, 0, 0, 1, 2, 3]),
    Buffer.from([6, 0, 0, 0, 1, 0, 0, 0, 3]),
    Buffer.from([4, 0, 0]),
    Buffer.from([4, 0, 0, 0, 5, 0, 0, 0, 1]),
  ];
  for (let i = 0; i < 150; i++) {
    const b = Buffer.concat(Array.from({ length: 1 + randomInt(4) }, randomFrame));
    for (let k = 0; k < 1 + randomInt(3); k++) b[randomInt(Math.min(b.length, 64))] = randomInt(256);
    cases.push(i % 3 ? b : b.subarray(0, randomInt(b.length)));
  }
  for (const input of cases) {
    const ts = tsVerdict(input);
    const c = await echo(input);
    assert.ok(
      c.out.equals(ts.frames),
      `same frames for ${input.subarray(0, 64).toString('hex')} (${input.length} bytes): C ${c.out.length} ${c.err} TS ${ts.frames.length} ${ts.reason}`,
    );
    if (ts.reason) assert.equal(c.err.trim(), `error: ${ts.reason}`, input.subarray(0, 16).toString('hex'));
    else assert.equal(c.code, 0, c.err);
  }
});
