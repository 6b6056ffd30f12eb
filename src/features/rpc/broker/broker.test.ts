// Unit tests of the broker's pure parts: frame scanning in the relay, handshake frames, CALL parsing, asks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AdminEvents } from '../../../daemon/events.js';
import { encodeCall, encodeData, encodeEof, encodeError, encodeExit, encodeFrame, encodeHello, FrameType, StreamId } from '../frame.js';
import { AskRegistry } from './asks.js';
import { parseCall } from './call.js';
import { helloRole, takeFrame } from './handshake.js';
import { FrameScanner } from './scanner.js';

const FROM_SERVICE = new Set<number>([FrameType.STDOUT, FrameType.STDERR, FrameType.EOF, FrameType.EXIT, FrameType.ERROR]);
const FROM_CALLER = new Set<number>([FrameType.STDIN, FrameType.EOF]);

/** Feeds bytes in chunks of every size from 1 to 17 and collects the events. */
function scanAll(bytes: Buffer, allowed: Set<number>, step: number) {
  const s = new FrameScanner(allowed);
  const evs: { exit?: number; error?: boolean }[] = [];
  for (let i = 0; i < bytes.length; i += step) evs.push(s.push(bytes.subarray(i, i + step)));
  return { s, exit: evs.find((e) => e.exit !== undefined)?.exit, error: evs.some((e) => e.error) };
}

test('scanner finds EXIT across any chunking and knows frame boundaries', () => {
  const stream = Buffer.concat([
    ...encodeData(FrameType.STDOUT, Buffer.alloc(70_000, 1)),
    encodeEof(StreamId.STDOUT),
    encodeEof(StreamId.STDERR),
    encodeExit(-3),
  ]);
  for (const step of [1, 2, 3, 7, 8, 9, 17, 65_536, stream.length]) {
    const r = scanAll(stream, FROM_SERVICE, step);
    assert.equal(r.exit, -3, `chunk ${step}`);
    assert.ok(r.s.atBoundary);
  }
  const s = new FrameScanner(FROM_SERVICE);
  s.push(encodeEof(StreamId.STDOUT).subarray(0, 5));
  assert.equal(s.atBoundary, false);
});

test('scanner refuses types not allowed in a direction, bad headers, bad EOF streams and data after the end', () => {
  assert.throws(() => new FrameScanner(FROM_CALLER).push(encodeExit(0)), /not allowed/);
  assert.throws(() => new FrameScanner(FROM_CALLER).push(encodeCall('a', 'b')), /not allowed/);
  assert.throws(() => new FrameScanner(FROM_SERVICE).push(encodeData(FrameType.STDIN, Buffer.from('x'))[0]!), /not allowed/);
  const reserved = Buffer.from(encodeEof(StreamId.STDIN));
  reserved[2] = 1;
  assert.throws(() => new FrameScanner(FROM_CALLER).push(reserved), /reserved/);
  const big = Buffer.alloc(8);
  big[0] = FrameType.STDIN;
  big.writeUInt32LE(65_537, 4);
  assert.throws(() => new FrameScanner(FROM_CALLER).push(big), /exceeds/);
  const eof = Buffer.from(encodeEof(StreamId.STDIN));
  eof[8] = 3;
  assert.throws(() => new FrameScanner(FROM_CALLER).push(eof), /unknown stream/);
  const s = new FrameScanner(FROM_SERVICE);
  assert.deepEqual(s.push(encodeError(126, 'no')), { error: true });
  assert.throws(() => s.push(encodeEof(StreamId.STDOUT)), /after the end/);
});

test('takeFrame takes one frame and leaves the rest untouched', () => {
  const rest = Buffer.from('tail bytes');
  const buf = Buffer.concat([encodeHello(), encodeCall('personal', 'qubes.Filecopy'), rest]);
  const a = takeFrame(buf)!;
  assert.equal(helloRole(a.frame).version, 1);
  const b = takeFrame(a.rest)!;
  assert.deepEqual(parseCall(b.frame), { target: 'personal', call: 'qubes.Filecopy', ignored: [] });
  assert.deepEqual(b.rest, rest);
  assert.equal(takeFrame(buf.subarray(0, 11)), null);
  assert.throws(() => takeFrame(Buffer.from([99, 0, 0, 0, 0, 0, 0, 0])), /unknown frame type/);
  assert.throws(() => helloRole({ type: FrameType.CALL, payload: Buffer.alloc(4) }), /HELLO/);
});

test('CALL fields beyond target and service are set aside, never used', () => {
  const f = { type: FrameType.CALL, payload: Buffer.from('personal\0svc+arg\0vault\0more') };
  assert.deepEqual(parseCall(f), { target: 'personal', call: 'svc+arg', ignored: ['vault', 'more'] });
  assert.equal(parseCall({ type: FrameType.CALL, payload: Buffer.from('only-one-field') }), null);
  assert.equal(parseCall({ type: FrameType.STDIN, payload: Buffer.from('a\0b') }), null);
  assert.equal(helloRole({ type: FrameType.HELLO, payload: encodeFrame(FrameType.HELLO, Buffer.from([1, 0, 0, 0, 0x61])).subarray(8) }).role, 'a');
});

test('asks: listed and evented, allow only to a candidate, deny, cancel, timeout', async () => {
  const events = new AdminEvents();
  const seen: string[] = [];
  events.on('rpc-ask', (e) => seen.push(e.data.id));
  const reg = new AskRegistry(events);
  const base = { source: 'work', target: '', service: 'qubes.Filecopy', argument: '+', candidates: ['personal', 'vault'], defaultTarget: null };
  const a = reg.ask(base, 10_000);
  assert.deepEqual(seen, [a.id]);
  assert.equal(reg.list().length, 1);
  assert.throws(() => reg.answer(a.id, 'allow'), /choose one of personal, vault/);
  assert.throws(() => reg.answer(a.id, 'allow', 'dom0'), /not one of/);
  assert.throws(() => reg.answer('ffff', 'deny'), /no pending/);
  reg.answer(a.id, 'allow', 'vault');
  assert.deepEqual(await a.answer, { answer: 'allow', target: 'vault' });
  assert.equal(reg.list().length, 0);

  const b = reg.ask({ ...base, defaultTarget: 'personal' }, 10_000);
  reg.answer(b.id, 'allow');
  assert.deepEqual(await b.answer, { answer: 'allow', target: 'personal' });
  const c = reg.ask(base, 10_000);
  reg.answer(c.id, 'deny');
  assert.equal((await c.answer).answer, 'deny');
  const d = reg.ask(base, 10_000);
  reg.cancel(d.id);
  assert.equal((await d.answer).answer, 'deny');
  const t0 = Date.now();
  const e = reg.ask(base, 150);
  const r = await e.answer;
  assert.equal(r.answer, 'deny');
  assert.ok(Date.now() - t0 >= 140);
  assert.throws(() => reg.answer(e.id, 'allow', 'personal'), /no pending/);
});
