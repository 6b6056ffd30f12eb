// Stream isolation read from tor's control port in the gateway: two workstations, and two SOCKS usernames in one workstation, never share a circuit.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { forceRemoveNetns } from './net-fixture.js';
import { whonixDaemon, withStreamEvents, type WhonixDaemon } from './whonix-fixture.js';
import type { GatewayControl } from '../../src/features/whonix/gateway-control.js';
import { circuitsOf, parseKeyValues, type StreamEvent } from '../../src/features/whonix/stream-events.js';

const SOCKS = '10.152.152.10:9050';
const TAG = randomBytes(3).toString('hex');

interface Circuit {
  id: number;
  fields: Record<string, string>;
}

async function circuitStatus(ctl: GatewayControl): Promise<Map<number, Circuit>> {
  const text = await ctl.tor.getinfoOne('circuit-status');
  const out = new Map<number, Circuit>();
  for (const line of text.split('\n')) {
    const m = /^(\d+) [A-Z]+\b/.exec(line.trim());
    if (m) out.set(Number(m[1]), { id: Number(m[1]), fields: parseKeyValues(line) });
  }
  return out;
}

/** A circuit and the legs linked with it (conflux): the set a stream's data may travel on. */
function legs(circ: Map<number, Circuit>, id: number): Set<number> {
  const cid = circ.get(id)?.fields['CONFLUX_ID'];
  if (!cid) return new Set([id]);
  return new Set([...circ.values()].filter((c) => c.fields['CONFLUX_ID'] === cid).map((c) => c.id));
}

const disjoint = (a: Set<number>, b: Set<number>) => [...a].every((x) => !b.has(x));
const user = (u: string) => (e: StreamEvent) => e.fields['SOCKS_USERNAME'] === u;
const clientStream = (e: StreamEvent) => ['SOCKS5', 'TRANS', 'DNS'].includes(e.fields['CLIENT_PROTOCOL'] ?? '');

describe('Whonix stream isolation (circuits read from tor in sys-whonix)', { timeout: 900_000 }, () => {
  let d: WhonixDaemon;
  let prefix = '';
  let ctl: GatewayControl;

  before(async () => {
    d = await whonixDaemon('wxstr');
    prefix = d.prefix;
    d.addWorkstation('anon2');
    ctl = await d.control();
  });
  after(async () => {
    ctl?.close();
    await d?.teardown();
    if (prefix) forceRemoveNetns(prefix);
  });

  const fetch = (ws: string, extra: string[] = []) => {
    const r = d.run(ws, ['curl', '-sS', '--max-time', '30', ...extra, 'http://web.lab.test/ip']);
    assert.equal(r.code, 0, `${ws} ${extra.join(' ')}: ${r.stderr}`);
    assert.ok(d.labTor().exitAddresses.includes(r.stdout.trim()), `the web host saw ${r.stdout.trim()}, a Tor exit`);
    return r.stdout.trim();
  };

  it('two SOCKS usernames in one workstation get two circuits', async () => {
    const [a, b] = [`iso-${TAG}-a`, `iso-${TAG}-b`];
    const { events } = await withStreamEvents(ctl, () => {
      for (const u of [a, b, a, b]) fetch('anon-whonix', ['--socks5-hostname', SOCKS, '-U', `${u}:x`]);
    });
    const ca = circuitsOf(events, user(a));
    const cb = circuitsOf(events, user(b));
    assert.ok(ca.size > 0 && cb.size > 0, `streams of both users were attached: ${[...ca]} / ${[...cb]}`);
    assert.ok(disjoint(ca, cb), `user a on ${[...ca]}, user b on ${[...cb]}`);
    // tor's own view confirms the reading: the circuits still open are tagged with their stream's username
    // (a conflux leg carries no tag of its own), and no circuit or linked leg serves both users.
    const circ = await circuitStatus(ctl);
    for (const [cs, u, other] of [
      [ca, a, b],
      [cb, b, a],
    ] as const) {
      const open = [...cs].filter((c) => circ.has(c));
      assert.ok(open.length > 0, `a circuit of ${u} is still open: ${[...cs]}`);
      assert.ok(
        open.some((c) => circ.get(c)?.fields['SOCKS_USERNAME'] === u),
        `tor tags a circuit of ${u} with it`,
      );
      for (const c of open)
        for (const leg of legs(circ, c)) assert.notEqual(circ.get(leg)?.fields['SOCKS_USERNAME'], other, `leg ${leg} of ${u}'s circuit ${c}`);
    }
    const setA = new Set([...ca].flatMap((c) => [...legs(circ, c)]));
    const setB = new Set([...cb].flatMap((c) => [...legs(circ, c)]));
    assert.ok(disjoint(setA, setB), `linked legs: ${[...setA]} / ${[...setB]}`);
  });

  it('two workstations never share a circuit: transparent proxy, DNS and SOCKS with the same username', async () => {
    const same = `same-${TAG}`;
    const per = new Map<string, { events: StreamEvent[] }>([
      ['anon-whonix', { events: [] }],
      ['anon2', { events: [] }],
    ]);
    // Interleaved, twice each, so a circuit one workstation built is open when the other asks.
    for (const round of [1, 2]) {
      for (const ws of per.keys()) {
        const { events } = await withStreamEvents(ctl, () => {
          fetch(ws);
          fetch(ws, ['--socks5-hostname', SOCKS, '-U', `${same}:x`]);
          const dns = d.run(ws, ['dig', '+short', '+time=10', '+tries=2', `r${round}-${ws}-${TAG}.lab.test`]);
          assert.equal(dns.stdout.trim(), '192.0.2.10', dns.stderr);
        });
        per.get(ws)?.events.push(...events);
      }
    }
    const [e1, e2] = [...per.values()].map((p) => p.events.filter(clientStream));
    const c1 = circuitsOf(e1 ?? [], () => true);
    const c2 = circuitsOf(e2 ?? [], () => true);
    assert.ok(c1.size > 0 && c2.size > 0, 'both workstations had streams attached');
    assert.ok(disjoint(c1, c2), `anon-whonix on ${[...c1]}, anon2 on ${[...c2]}`);
    for (const proto of ['TRANS', 'SOCKS5', 'DNS']) {
      assert.ok(
        (e1 ?? []).some((e) => e.fields['CLIENT_PROTOCOL'] === proto) && (e2 ?? []).some((e) => e.fields['CLIENT_PROTOCOL'] === proto),
        `both used ${proto}`,
      );
    }
    // Their streams arrived on different listeners (tor's session groups), though their source address is the same.
    const groups = (ev: StreamEvent[]) => new Set(ev.map((e) => e.fields['SESSION_GROUP']));
    const g1 = groups(e1 ?? []);
    const g2 = groups(e2 ?? []);
    assert.ok(
      [...g1].every((g) => !g2.has(g)),
      `session groups ${[...g1]} / ${[...g2]}`,
    );
    const sources = new Set([...(e1 ?? []), ...(e2 ?? [])].map((e) => e.fields['SOURCE_ADDR']?.split(':')[0]).filter(Boolean));
    assert.deepEqual([...sources], ['10.152.152.11'], 'every workstation has the same address');
    // Linked legs too.
    const circ = await circuitStatus(ctl);
    const all1 = new Set([...c1].flatMap((c) => [...legs(circ, c)]));
    const all2 = new Set([...c2].flatMap((c) => [...legs(circ, c)]));
    assert.ok(disjoint(all1, all2));
  });
});
