// The display codec: every message round-trips, every limit and malformed header is refused by name, and a seeded fuzz never escapes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decoder, WindowTable, encode, LIMITS, type Message, type AgentMessage } from './index.js';
import { isBulkheadError } from '../../errors/index.js';

const samples: Message[] = [
  { kind: 'hello', window: 0, version: 1, screenWidth: 1280, screenHeight: 800 },
  { kind: 'create', window: 7, x: -5, y: 10, width: 300, height: 200, popup: true, fullscreen: false, transientFor: 0 },
  { kind: 'configure', window: 7, x: 1, y: -2, width: 30, height: 20 },
  { kind: 'map', window: 7 },
  { kind: 'title', window: 7, title: '[work] x ü' },
  { kind: 'pixels', window: 7, x: 1, y: 2, width: 2, height: 1, data: new Uint8Array([1, 2, 3, 0, 4, 5, 6, 0]) },
  { kind: 'unmap', window: 7 },
  { kind: 'destroy', window: 7 },
];
const clientSamples: Message[] = [
  { kind: 'key', window: 7, keysym: 0x61, pressed: true, state: 1 },
  { kind: 'button', window: 7, button: 3, pressed: false, x: -1, y: 5 },
  { kind: 'motion', window: 7, x: 4, y: 9 },
  { kind: 'resize', window: 7, width: 640, height: 480 },
  { kind: 'close', window: 7 },
  { kind: 'focus', window: 7, focused: true },
  { kind: 'redraw', window: 0 },
];

function bytes(ms: Message[]): Uint8Array {
  const parts = ms.map(encode);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
}

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(isBulkheadError(e), String(e));
    return `${e.code}: ${e.message}`;
  }
  return 'no error';
}

test('every message round-trips, also one byte at a time', () => {
  for (const [dir, ms] of [
    ['from-agent', samples],
    ['from-client', clientSamples],
  ] as const) {
    const whole = new Decoder(dir).push(bytes(ms));
    assert.deepEqual(whole, ms);
    const d = new Decoder(dir);
    const b = bytes(ms);
    const got: Message[] = [];
    for (let i = 0; i < b.length; i++) got.push(...d.push(b.subarray(i, i + 1)));
    d.end();
    assert.deepEqual(got, ms);
  }
  const q: Message = { kind: 'qube', window: 0, name: 'vault', colour: 0x000000 };
  assert.deepEqual(new Decoder('to-client').push(encode(q)), [q]);
});

test('a direction accepts only its own messages', () => {
  assert.match(
    code(() => new Decoder('from-agent').push(encode(clientSamples[0]!))),
    /ERR_DISPLAY_PROTOCOL: .*type: 101/,
  );
  assert.match(
    code(() => new Decoder('from-client').push(encode(samples[1]!))),
    /type: 1 /,
  );
  assert.match(
    code(() => new Decoder('from-agent').push(encode({ kind: 'qube', window: 0, name: 'x', colour: 1 }))),
    /type: 200/,
  );
});

test('limits and malformed bodies are refused, naming the field', () => {
  const hdr = (type: number, window: number, length: number): Uint8Array => {
    const b = new Uint8Array(12);
    const v = new DataView(b.buffer);
    v.setUint32(0, type, true);
    v.setUint32(4, window, true);
    v.setUint32(8, length, true);
    return b;
  };
  // A huge length is refused from the header alone, before any body is buffered.
  assert.match(
    code(() => new Decoder('from-agent').push(hdr(7, 1, 0xffffffff))),
    /pixels\.length: 4294967295 bytes is over/,
  );
  assert.match(
    code(() => new Decoder('from-agent').push(hdr(6, 1, LIMITS.maxTitleBytes + 1))),
    /title\.length/,
  );
  assert.match(
    code(() => new Decoder('from-agent').push(hdr(3, 1, 4))),
    /map\.length: 4 bytes is over 0/,
  );
  assert.match(
    code(() => new Decoder('from-agent').push(hdr(2, 1, 8))),
    /configure\.length: 8 bytes, want 16/,
  );
  const big = { kind: 'create', window: 1, x: 0, y: 0, width: LIMITS.maxWidth + 1, height: 10, popup: false, fullscreen: false, transientFor: 0 } as const;
  assert.match(
    code(() => new Decoder('from-agent').push(encode(big))),
    /create\.width: 3841/,
  );
  const far = { ...big, width: 10, x: 1 << 30 };
  assert.match(
    code(() => new Decoder('from-agent').push(encode(far))),
    /create\.x\/y/,
  );
  const short = encode({ kind: 'pixels', window: 1, x: 0, y: 0, width: 2, height: 2, data: new Uint8Array(12) });
  assert.match(
    code(() => new Decoder('from-agent').push(short)),
    /pixels\.data: 12 bytes for a 2x2 rectangle \(want 16\)/,
  );
  assert.match(
    code(() => new Decoder('from-agent').push(encode({ kind: 'map', window: 0 }))),
    /map\.window: must not be 0/,
  );
  assert.match(
    code(() => new Decoder('from-client').push(encode({ kind: 'button', window: 1, button: 9, pressed: true, x: 0, y: 0 }))),
    /button\.button: 9/,
  );
  const d = new Decoder('from-agent');
  d.push(encode(samples[0]!).subarray(0, 5));
  assert.match(
    code(() => d.end()),
    /stream: ended inside a message/,
  );
});

test('titles lose their control characters', () => {
  const [m] = new Decoder('from-agent').push(encode({ kind: 'title', window: 3, title: 'a\u001b[2Jb\nc\u0085' }));
  assert.equal((m as { title: string }).title, 'a\ufffd[2Jb\ufffdc\ufffd');
});

test('the window table refuses unknown ids, rectangles outside a window and too many windows', () => {
  const t = new WindowTable();
  assert.match(
    code(() => t.apply(samples[1] as AgentMessage)),
    /create: before hello/,
  );
  t.apply(samples[0] as AgentMessage);
  t.apply(samples[1] as AgentMessage);
  assert.match(
    code(() => t.apply(samples[1] as AgentMessage)),
    /create\.window: 7 exists/,
  );
  assert.match(
    code(() => t.apply({ kind: 'map', window: 8 })),
    /map\.window: 8 is not a window/,
  );
  const px = { kind: 'pixels', window: 7, x: 299, y: 0, width: 2, height: 1, data: new Uint8Array(8) } as const;
  assert.match(
    code(() => t.apply(px)),
    /outside the 300x200 window/,
  );
  t.apply({ ...px, x: 298 });
  for (let i = 100; i < 100 + LIMITS.maxWindows - 1; i++) t.apply({ ...(samples[1] as AgentMessage & { kind: 'create' }), window: i });
  assert.match(
    code(() => t.apply({ ...(samples[1] as AgentMessage & { kind: 'create' }), window: 99 })),
    /more than 64 windows/,
  );
  t.apply({ kind: 'destroy', window: 7 });
  assert.equal(t.windows.has(7), false);
});

test('fuzz: mutated streams decode or fail with ERR_DISPLAY_PROTOCOL, never anything else', () => {
  let seed = Number(process.env.BULKHEAD_FUZZ_SEED ?? 0x5eed1234) >>> 0;
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const base = bytes(samples);
  for (let i = 0; i < 3000; i++) {
    const b = base.slice(0, rnd(2) ? base.length : rnd(base.length));
    for (let j = rnd(6); j > 0; j--) b[rnd(b.length)] = rnd(256);
    const d = new Decoder('from-agent');
    const t = new WindowTable();
    try {
      for (let at = 0; at < b.length;) {
        const n = 1 + rnd(40);
        for (const m of d.push(b.subarray(at, at + n))) t.apply(m as AgentMessage);
        at += n;
      }
      assert.ok(d.pending <= 12 + 16 + LIMITS.maxPixelBytes);
    } catch (e) {
      assert.ok(isBulkheadError(e) && e.code === 'ERR_DISPLAY_PROTOCOL', `seed run ${i}: ${String(e)}`);
    }
  }
});

test('a full-size PIXELS message in socket-sized reads comes out whole, with the header refused as soon as it is read', () => {
  const data = new Uint8Array(1280 * 800 * 4).map((_, i) => i & 0xff);
  const m: Message = { kind: 'pixels', window: 1, x: 0, y: 0, width: 1280, height: 800, data };
  const b = encode(m);
  const d = new Decoder('to-client');
  const got: Message[] = [];
  for (let at = 0; at < b.length; at += 65536) {
    got.push(...d.push(b.subarray(at, at + 65536)));
    assert.ok(d.pending <= b.length);
  }
  d.end();
  assert.deepEqual(got, [m]);
  // A header over the limit fails with its first 12 bytes, before any body is held.
  const bad = encode(m).slice(0, 12);
  new DataView(bad.buffer).setUint32(8, 16 + 4 * 1024 * 1024 + 1, true);
  assert.match(
    code(() => new Decoder('to-client').push(bad)),
    /pixels.length/,
  );
});
