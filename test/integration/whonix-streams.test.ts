// Stream isolation read from tor's control port in the gateway: two workstations, and two SOCKS usernames in one workstation, never share a circuit.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { forceRemoveNetns } from './net-fixture.js';
import { whonixDaemon, withStreamEvents, type WhonixDaemon } from './whonix-fixture.js';
import type { GatewayControl } from '../../src/features/whonix/gateway-control.js';
import { circuitsOf, parseKeyValues, type StreamEvent } from '../../src/features/whonix/stream-events.js';
import { describeSeen, type Observation } from '../../src/features/whonix/lab-observer.js';

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

  // Firefox ESR of the workstation template, with a fresh profile: the system policies and locked prefs mounted at start decide where it goes.
  it("the workstation's Firefox ESR: pages only through its own SocksPort 9150 (names resolved by Tor), its locked prefs in effect, nothing with tor down", async (tc) => {
    const ws = 'anon-whonix';
    let runs = 0;
    const firefox = (url: string, timeoutS = 90) => {
      const prof = `/tmp/ff-${TAG}-${++runs}`;
      // A user.js that tries to undo the workstation's settings: locked prefs and policies win over it.
      const undo = 'user_pref("network.proxy.type", 0);\nuser_pref("media.peerconnection.enabled", true);\nuser_pref("geo.enabled", true);\n';
      const setup = d.run(ws, ['sh', '-c', `mkdir -p ${prof} && cat > ${prof}/user.js`], { input: undo });
      assert.equal(setup.code, 0, setup.stderr);
      const t0 = Date.now();
      const r = d.run(
        ws,
        [
          'env',
          `HOME=${prof}`,
          'timeout',
          String(timeoutS),
          'firefox-esr',
          '--headless',
          '--no-remote',
          '--profile',
          prof,
          '--window-size=800,600',
          '--screenshot',
          `${prof}/shot.png`,
          url,
        ],
        { timeoutMs: 120_000 },
      );
      const shot = d.run(ws, ['stat', '-c', '%s', `${prof}/shot.png`]);
      return { code: r.code, out: r.stdout + r.stderr, seconds: (Date.now() - t0) / 1000, shotBytes: shot.code === 0 ? Number(shot.stdout.trim()) : 0 };
    };
    // The lab's hosts, and one host outside it: Mozilla's Remote Settings, which Firefox 140's fingerprinting
    // protection asks for its overrides list at the first page whatever its prefs say (docs/real-machine.md).
    const lab = (e: StreamEvent) => /\.lab\.test:\d+$|\.onion:\d+$|^firefox\.settings\.services\.mozilla\.com:443$/.test(e.target);
    /** Client streams not on the 9150 listener, not SOCKS5 (TransPort, DNSPort) or asked for a host outside `lab`. */
    const strays = (events: StreamEvent[]) =>
      events
        .filter((e) => ['SOCKS5', 'TRANS', 'DNS'].includes(e.fields['CLIENT_PROTOCOL'] ?? ''))
        .filter((e) => e.fields['SESSION_GROUP'] !== g9150 || e.fields['CLIENT_PROTOCOL'] !== 'SOCKS5' || (e.status === 'NEW' && !lab(e)))
        .map((e) => `${e.status} ${e.target} ${e.fields['CLIENT_PROTOCOL']} group ${e.fields['SESSION_GROUP']}`);
    // The session group of each listener, from a curl through it (same workstation, same source address).
    const groupOf = async (facing: number) => {
      const { events } = await withStreamEvents(ctl, () => fetch(ws, ['--socks5-hostname', `10.152.152.10:${facing}`]));
      const g = new Set(events.filter((e) => e.status === 'SUCCEEDED' && e.fields['CLIENT_PROTOCOL'] === 'SOCKS5').map((e) => e.fields['SESSION_GROUP']));
      assert.equal(g.size, 1, `one listener for port ${facing}: ${[...g]}`);
      return [...g][0] as string;
    };
    const g9150 = await groupOf(9150);
    assert.notEqual(g9150, await groupOf(9050), 'listeners have their own session groups');

    // 1. The lab's page and its onion page, each as a fresh browser would.
    const obs = await d.observe();
    let seen: Observation;
    try {
      const before = await obs.read();
      const onion = d.labTor().onionAddress;
      const { result, events } = await withStreamEvents(ctl, () => [firefox('http://web.lab.test/'), firefox(`http://${onion}/`)]);
      const after = await obs.read();
      seen = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, { tor: v.tor - (before[k]?.tor ?? 0), other: v.other - (before[k]?.other ?? 0) }]));
      for (const r of result) {
        assert.equal(r.code, 0, r.out);
        assert.ok(r.shotBytes > 1000, `a screenshot was saved (${r.shotBytes} bytes)`);
        tc.diagnostic(`firefox --headless --screenshot: ${r.seconds.toFixed(1)} s`);
      }
      const client = events.filter((e) => ['SOCKS5', 'TRANS', 'DNS'].includes(e.fields['CLIENT_PROTOCOL'] ?? ''));
      // Streams asked for by name (NEW) that succeeded; tor then shows the address the exit resolved (REMAP).
      const done = new Set(client.filter((e) => e.status === 'SUCCEEDED').map((e) => e.id));
      const ok = (re: RegExp) => client.filter((e) => e.status === 'NEW' && done.has(e.id) && re.test(e.target));
      const shown = events.map((e) => `${e.id} ${e.status} ${e.target} ${e.fields['CLIENT_PROTOCOL']} group ${e.fields['SESSION_GROUP']}`).join('\n');
      // The page went through the browser's listener, by name (socks_remote_dns: tor resolved web.lab.test at the exit).
      assert.ok(
        ok(/^web\.lab\.test:80$/).some((e) => e.fields['SESSION_GROUP'] === g9150 && e.fields['CLIENT_PROTOCOL'] === 'SOCKS5'),
        `web.lab.test:80 on 9150 (session group ${g9150}): ${shown}`,
      );
      assert.ok(
        ok(new RegExp(`^${onion.replace('.', '\\.')}:80$`)).some((e) => e.fields['SESSION_GROUP'] === g9150),
        `the onion page on 9150: ${shown}`,
      );
      // Nothing else: no transparent-proxy or DNSPort stream (no bypass, no local lookup) and no host outside the lab (no telemetry, update, DoH, captive portal...).
      assert.deepEqual(strays(events), [], 'every stream of the browser runs went to the lab through 9150');
    } finally {
      await obs.remove();
    }
    // The lab's web host saw the page fetched from Tor relays (the exit), never from anything else.
    assert.ok((seen.web?.tor ?? 0) > 0, `the web host saw Tor: ${describeSeen(seen)}`);
    assert.equal(seen.web?.other, 0, describeSeen(seen));
    assert.equal(seen.uplinks?.other, 0, describeSeen(seen));

    // 2. The locked prefs took effect in the page (a local page reports them in the host name it loads, which tor shows).
    const probe = [
      '<!doctype html><html><head><meta charset="utf-8"><title>probe</title><script>',
      'const b = (x) => (x ? "1" : "0");',
      'const gl = document.createElement("canvas").getContext("webgl");',
      "const host = 'js1-rtc' + b(typeof RTCPeerConnection !== 'undefined') + '-geo' + b('geolocation' in navigator) + '-push' + b('PushManager' in window) +",
      "  '-md' + b(!!navigator.mediaDevices) + '-gl' + b(gl !== null) +",
      // resistFingerprinting reports UTC as Atlantic/Reykjavik (the workstation's own zone is UTC).
      "  '-rfp' + b(Intl.DateTimeFormat().resolvedOptions().timeZone === 'Atlantic/Reykjavik') + '-TAG.lab.test';",
      "document.write('<img src=\"http://' + host + '/ip\">');",
      '</script></head><body>probe</body></html>',
    ]
      .join('\n')
      .replace('TAG', TAG);
    assert.equal(d.run(ws, ['sh', '-c', `cat > /tmp/probe-${TAG}.html`], { input: probe }).code, 0);
    const { result: pr, events: pe } = await withStreamEvents(ctl, () => firefox(`file:///tmp/probe-${TAG}.html`));
    assert.equal(pr.code, 0, pr.out);
    // The image is asked for on 80 or, upgraded by HTTPS-First in private browsing, on 443: either way by its name.
    const probeStream = (e: StreamEvent) => new RegExp(`-${TAG}\\.lab\\.test:(80|443)$`).test(e.target);
    const reported = pe.filter(probeStream).map((e) => e.target.replace(/:\d+$/, ''));
    assert.ok(reported.length > 0, `the probe page reported: ${pe.map((e) => e.target).join(', ')}`);
    for (const t of reported)
      assert.equal(
        t,
        `js1-rtc0-geo0-push0-md0-gl0-rfp1-${TAG}.lab.test`,
        'WebRTC, geolocation, push, media devices and WebGL off; fingerprinting resistance on',
      );
    assert.ok(pe.filter(probeStream).every((e) => e.fields['SESSION_GROUP'] === g9150 && e.fields['CLIENT_PROTOCOL'] === 'SOCKS5'));
    assert.deepEqual(strays(pe), [], 'every stream of the probe run went to the lab through 9150');

    // 3. Fail-closed: tor down in the gateway (its supervisor held), the browser gets nothing and the lab sees nothing.
    const sup = d.supervisorPid();
    assert.equal(d.cli(['run', '--user', 'debian-tor', 'sys-whonix', '--', 'kill', '-STOP', String(sup)]).code, 0);
    const ev = await d.events();
    try {
      const k = d.cli(['run', '--user', 'debian-tor', 'sys-whonix', '--', 'sh', '-c', 'for p in $(pidof tor); do kill -KILL "$p"; done']);
      assert.equal(k.code, 0, k.stderr);
      for (let i = 0; i < 50 && d.torPids().length; i++) await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(d.torPids(), [], 'tor is down in the gateway');
      const down = await d.observe();
      try {
        // tor's own connections close in the gateway's kernel first: wait for 2 s without a packet.
        let last = JSON.stringify(await down.read());
        for (let quiet = 0, i = 0; quiet < 4 && i < 120; i++) {
          await new Promise((r) => setTimeout(r, 500));
          const now = JSON.stringify(await down.read());
          quiet = now === last ? quiet + 1 : 0;
          last = now;
        }
        const before = await down.read();
        // Its connection to 9150 is never answered (tor is gone): 20 s shows that nothing leaves meanwhile.
        const r = firefox('http://web.lab.test/', 20);
        const after = await down.read();
        const delta = Object.fromEntries(
          Object.entries(after).map(([k, v]) => [k, { tor: v.tor - (before[k]?.tor ?? 0), other: v.other - (before[k]?.other ?? 0) }]),
        );
        tc.diagnostic(`tor down: firefox exited ${r.code} in ${r.seconds.toFixed(1)} s; lab saw ${describeSeen(delta)}`);
        for (const h of ['web', 'other', 'dns']) assert.deepEqual(delta[h], { tor: 0, other: 0 }, `${h}: ${describeSeen(delta)}`);
        assert.equal(delta.uplinks?.other, 0, describeSeen(delta));
        // A direct attempt would have shown in the gateway's ruleset as a TransPort redirect; tor was not there to take it, and nothing left sys-net.
      } finally {
        await down.remove();
      }
    } finally {
      // Back as it was for whatever runs next: the supervisor goes on and tor is up again.
      d.cli(['run', '--user', 'debian-tor', 'sys-whonix', '--', 'kill', '-CONT', String(sup)]);
      await ev.waitFor('gateway-tor-up', (x) => x['qube'] === 'sys-whonix', 60_000).finally(() => ev.stop());
    }
    const t0 = Date.now();
    let page = d.run(ws, ['curl', '-sS', '--max-time', '20', 'http://web.lab.test/ip']);
    while (page.code !== 0 && Date.now() - t0 < 120_000) page = d.run(ws, ['curl', '-sS', '--max-time', '20', 'http://web.lab.test/ip']);
    assert.equal(page.code, 0, page.stderr);
    d.run(ws, ['sh', '-c', `rm -rf /tmp/ff-${TAG}-* /tmp/probe-${TAG}.html`]);
  });
});
