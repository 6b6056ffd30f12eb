// The display relay with a fake agent: fan-out, the snapshot a new client gets, input only for existing windows, faults and slow clients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decoder, encode, type Message } from '../../desktop/protocol/index.js';
import { DisplayRelay, type DisplayClient } from './relay.js';

function fakeAgent() {
  const got: Message[] = [];
  const dec = new Decoder('from-client');
  const a = { got, stopped: null as string | null, write: (b: Uint8Array) => void got.push(...dec.push(b)), stop: (r: string) => void (a.stopped = r) };
  return a;
}

function fakeClient(buffered = () => 0) {
  const got: Message[] = [];
  const dec = new Decoder('to-client');
  const c = {
    got,
    closed: null as string | null,
    send: (b: Uint8Array) => void got.push(...dec.push(b)),
    close: (r?: string) => void (c.closed = r ?? ''),
    buffered,
  } satisfies DisplayClient & Record<string, unknown>;
  return c;
}

const hello: Message = { kind: 'hello', window: 0, version: 1, screenWidth: 800, screenHeight: 600 };
const create = (window: number, transientFor = 0): Message => ({
  kind: 'create',
  window,
  x: 1,
  y: 2,
  width: 10,
  height: 5,
  popup: transientFor !== 0,
  fullscreen: false,
  transientFor,
});
const px = (window: number): Message => ({ kind: 'pixels', window, x: 0, y: 0, width: 1, height: 1, data: new Uint8Array([1, 2, 3, 0]) });

test('every client gets QUBE first, then the agent’s checked messages; a late client gets the windows as they are, then a REDRAW is asked', () => {
  const agent = fakeAgent();
  const r = new DisplayRelay('work', () => 0x3465a4, agent);
  const early = fakeClient();
  r.attach(early);
  assert.deepEqual(early.got, [{ kind: 'qube', window: 0, name: 'work', colour: 0x3465a4 }]);
  assert.deepEqual(agent.got, [], 'no REDRAW before the agent said HELLO');
  for (const m of [hello, create(7), { kind: 'title', window: 7, title: 'a' }, { kind: 'map', window: 7 }, create(8, 7), px(7)] as Message[])
    r.fromAgent(encode(m));
  r.fromAgent(encode({ kind: 'destroy', window: 8 }));
  assert.equal(early.got.length, 8);
  const late = fakeClient();
  r.attach(late);
  assert.deepEqual(late.got, [
    { kind: 'qube', window: 0, name: 'work', colour: 0x3465a4 },
    hello,
    create(7),
    { kind: 'title', window: 7, title: 'a' },
    { kind: 'map', window: 7 },
  ]);
  assert.deepEqual(agent.got, [{ kind: 'redraw', window: 0 }]);
  r.fromAgent(encode(px(7)));
  assert.equal(late.got.at(-1)!.kind, 'pixels');
  assert.equal(early.got.at(-1)!.kind, 'pixels');
});

test('input reaches the agent only for windows that exist; a malformed client is dropped alone', () => {
  const agent = fakeAgent();
  const r = new DisplayRelay('work', () => 0, agent);
  r.fromAgent(encode(hello));
  r.fromAgent(encode(create(7)));
  const c = fakeClient();
  const other = fakeClient();
  const att = r.attach(c);
  r.attach(other);
  agent.got.length = 0;
  att.input(encode({ kind: 'key', window: 7, keysym: 0x61, pressed: true, state: 0 }));
  att.input(encode({ kind: 'key', window: 99, keysym: 0x61, pressed: true, state: 0 }));
  att.input(encode({ kind: 'close', window: 1234 }));
  assert.deepEqual(agent.got, [{ kind: 'key', window: 7, keysym: 0x61, pressed: true, state: 0 }]);
  att.input(encode(create(9)));
  assert.match(c.closed!, /ERR_DISPLAY_PROTOCOL: .*type: 1 is not a message from-client/);
  assert.equal(other.closed, null);
  assert.equal(r.clientCount, 1);
  assert.equal(agent.stopped, null, 'a bad client does not end the display');
});

test('a malformed agent message ends the display: the agent is stopped and every client closed with the field named', async () => {
  const agent = fakeAgent();
  const r = new DisplayRelay('work', () => 0, agent);
  const c = fakeClient();
  r.attach(c);
  const ready = r.ready();
  r.fromAgent(encode(hello));
  await ready;
  r.fromAgent(encode({ kind: 'map', window: 5 }));
  assert.match(agent.stopped!, /^ERR_DISPLAY_PROTOCOL: display protocol: map\.window: 5 is not a window/);
  assert.equal(c.closed, agent.stopped);
  const late = fakeClient();
  r.attach(late);
  assert.equal(late.closed, agent.stopped, 'a client of an ended display is closed at once');
  r.fromAgent(encode(create(1)));
  assert.equal(late.got.length, 0);
});

test('ready() fails when the agent ends before HELLO; an agent ending inside a message is a fault', async () => {
  const r = new DisplayRelay('work', () => 0, fakeAgent());
  const ready = r.ready();
  r.agentEnded('the display agent exited (1)');
  await assert.rejects(ready, /exited \(1\)/);
  const agent = fakeAgent();
  const r2 = new DisplayRelay('work', () => 0, agent);
  r2.fromAgent(encode(hello).subarray(0, 7));
  r2.agentEnded('exited');
  assert.match(agent.stopped!, /stream: ended inside a message/);
});

test('a slow client is dropped once its backlog would pass the bound; the others keep going', () => {
  const r = new DisplayRelay('work', () => 0, fakeAgent(), 1000);
  let backlog = 0;
  const slow = fakeClient(() => backlog);
  const fast = fakeClient();
  r.attach(slow);
  r.attach(fast);
  r.fromAgent(encode(hello));
  r.fromAgent(encode(create(7)));
  backlog = 990;
  r.fromAgent(encode(px(7)));
  assert.match(slow.closed!, /over 1000 bytes waiting/);
  assert.equal(fast.got.at(-1)!.kind, 'pixels');
  assert.equal(r.clientCount, 1);
});

test('a seeded fuzz of agent bytes never throws out of the relay, and clients only ever get messages that decode', () => {
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let run = 0; run < 300; run++) {
    const agent = fakeAgent();
    const r = new DisplayRelay('q', () => 0, agent);
    const c = fakeClient();
    r.attach(c);
    const good = [hello, create(3), { kind: 'map', window: 3 }, px(3)].map((m) => encode(m as Message));
    for (const g of good) {
      const b = g.slice();
      if (rnd() < 0.3) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      r.fromAgent(b);
    }
    // A corrupted length may leave the relay waiting for more bytes: never more than what was sent reaches the client.
    if (agent.stopped) assert.equal(c.closed, agent.stopped);
    else assert.ok(c.got.length <= 5);
  }
});
