// `bulkhead check WORKSTATION` through the real daemon and CLI: every check passes on a whole setup, and the network checks fail once tor is gone.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { forceRemoveNetns } from './net-fixture.js';
import { whonixDaemon, withStreamEvents, type WhonixDaemon } from './whonix-fixture.js';
import { circuitsOf } from '../../src/features/whonix/stream-events.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import type { CheckReport } from '../../src/features/whonix/check.js';
import { CHECK_ROWS } from '../../src/features/whonix/profile.js';

const ALL = [
  'tor-bootstrapped',
  'trans-lab-page',
  'trans-onion-page',
  'socks-lab-page',
  'socks-onion-page',
  'dns-via-tor',
  'stream-isolation',
  'identity-hostname',
  'identity-machine-id',
  'identity-timezone',
  'identity-user',
  'identity-address',
  'direct-tcp-proxied',
  'direct-udp-icmp-blocked',
  'lab-saw-only-tor',
];

describe('bulkhead check', { timeout: 1_200_000 }, () => {
  let d: WhonixDaemon;
  let prefix = '';
  before(async () => {
    d = await whonixDaemon('wxchk');
    prefix = d.prefix;
  });
  after(async () => {
    await d?.teardown();
    if (prefix) forceRemoveNetns(prefix);
  });

  it('passes every check on anon-whonix, in text and in JSON', () => {
    const text = d.cli(['check', 'anon-whonix'], undefined, 600_000);
    assert.equal(text.code, 0, text.stdout + text.stderr);
    assert.equal((text.stdout.match(/^✓ /gm) ?? []).length, ALL.length, text.stdout);
    assert.doesNotMatch(text.stdout, /^✗ /m);
    const r = d.cli(['check', 'anon-whonix', '--json'], undefined, 600_000);
    assert.equal(r.code, 0, r.stderr);
    const rep = JSON.parse(r.stdout) as CheckReport;
    assert.deepEqual(
      rep.checks.map((c) => c.id),
      ALL,
    );
    assert.ok(rep.ok && rep.checks.every((c) => c.ok));
    assert.equal(rep.gateway, 'sys-whonix');
    // The profile is shown; in the lab every lab row runs (none skipped) and is marked as a lab row.
    assert.equal(rep.network, 'lab');
    assert.match(text.stdout, /^bulkhead check anon-whonix \(gateway sys-whonix, network profile lab\)$/m);
    assert.ok(
      rep.checks.every((c) => c.skipped === undefined),
      'nothing skipped in the lab',
    );
    for (const c of rep.checks) assert.equal(c.lab === true, CHECK_ROWS.find((r) => r.id === c.id)?.lab, c.id);
    assert.equal(rep.tor?.state, 'up', "the report carries tor's state");
    assert.match(text.stdout, /^tor in sys-whonix: up since /m);
    // The observer really counted: the exits reached the web and DNS hosts, nothing else did.
    assert.ok((rep.labSeen?.['web']?.tor ?? 0) > 0, JSON.stringify(rep.labSeen));
    assert.ok((rep.labSeen?.['dns']?.tor ?? 0) > 0, JSON.stringify(rep.labSeen));
    assert.ok(Object.values(rep.labSeen ?? {}).every((s) => s.other === 0));
    const seen = rep.checks.find((c) => c.id === 'direct-tcp-proxied')?.detail ?? '';
    const exit = /saw (\S+)/.exec(seen)?.[1] ?? '';
    assert.ok(d.labTor().exitAddresses.includes(exit), seen);
  });

  it("the dashboard's Tor view: bootstrap and built circuits of the gateway; New Identity from a workstation passes its control-port filter", async () => {
    // tor may still be bootstrapping when this runs first: its phase is read until done (as the check waits).
    let info = await d.api<{ progress: number; summary: string; circuits: number }>('GET', '/gateways/sys-whonix/tor-info');
    for (let i = 0; i < 120 && info.status === 200 && info.body.progress < 100; i++) {
      await new Promise((r) => setTimeout(r, 500));
      info = await d.api<{ progress: number; summary: string; circuits: number }>('GET', '/gateways/sys-whonix/tor-info');
    }
    assert.equal(info.status, 200, JSON.stringify(info.body));
    assert.equal(info.body.progress, 100, JSON.stringify(info.body));
    assert.ok(info.body.circuits >= 1, JSON.stringify(info.body));
    const nym = await d.api<{ ok: boolean; reply: string; gateway: string }>('POST', '/qubes/anon-whonix/newnym', {});
    assert.equal(nym.status, 200, JSON.stringify(nym.body));
    assert.equal(nym.body.gateway, 'sys-whonix');
    assert.ok(nym.body.ok, nym.body.reply);
    assert.match(nym.body.reply, /^250 OK\r?\n250 OK\r?\n250 closing connection/, 'AUTHENTICATE answered by the filter, SIGNAL NEWNYM by tor, QUIT');
    const notWs = await d.api<{ error: string }>('POST', '/qubes/sys-firewall/newnym', {});
    assert.equal(notWs.status, 400);
    assert.match(JSON.stringify(notWs.body), /not a workstation/);
  });

  it("ls shows the gateway's network profile beside tor's state, in text and JSON", () => {
    assert.match(d.ok(['ls']), /sys-whonix\s+Running \(tor up, network lab\)/);
    const gw = (JSON.parse(d.ok(['ls', '--json'])) as { name: string; tor_network?: string; tor?: { network: string } }[]).find((q) => q.name === 'sys-whonix');
    assert.equal(gw?.tor_network, 'lab');
    assert.equal(gw?.tor?.network, 'lab');
    assert.equal(d.ok(['prefs', 'sys-whonix', 'tor_network']).trim(), 'lab', 'init set it');
  });

  it('a gateway of the public profile behind the lab is refused before anything is made for it; its bridges are validated and kept', async () => {
    d.ok(['create', 'gw-public', '--template', 'whonix-gw', '--label', 'black', '--prop', 'provides_network=true', '--prop', 'netvm=sys-firewall']);
    try {
      d.ok(['features', 'gw-public', 'gateway', 'tor']);
      d.ok(['prefs', 'gw-public', 'tor_network', 'public']);
      const ev = await d.events();
      const st = d.cli(['start', 'gw-public'], undefined, 120_000);
      try {
        assert.notEqual(st.code, 0);
        assert.match(
          st.stderr,
          /gateway 'gw-public' has the network profile public .* its uplink is the lab: it would try to reach the public Tor network from the sealed lab/,
        );
        assert.equal(st.stderr.trim().split('\n').length, 1, 'one line');
        const failed = await ev.waitFor('qube-start-failed', (x) => x['qube'] === 'gw-public', 10_000);
        assert.match(String(failed.data['reason']), /network profile public/);
      } finally {
        ev.stop();
      }
      assert.equal(d.initPid('gw-public'), null, 'not running');
      const nets = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
      assert.doesNotMatch(nets, new RegExp(`^${d.ns('gw-public')}\\b`, 'm'), 'no namespace was made for it');
      assert.match(d.ok(['ls']), /gw-public\s+Halted \(network public\)/);

      // Bridges: a bad set names the line and field, and leaves the stored list as it was.
      const FP = 'ABCDEF0123456789ABCDEF0123456789ABCDEF01';
      const good = `obfs4 192.0.2.7:443 ${FP} cert=ssH+9rP8dG2NLDN2XuFw63hIO/9MNNinLmxQDpVa+7kTOa9/m+tGWT1SmSYpQ9uTBGa6Hw iat-mode=0`;
      assert.match(d.ok(['gateway', 'bridges', 'list', 'gw-public']), /no bridges/);
      assert.match(d.ok(['gateway', 'bridges', 'set', 'gw-public', good, `[2001:db8::1]:9001 ${FP}`]), /network profile public\): 2 bridges/);
      const dir = mkdtempSync(join(tmpdir(), `${prefix}-bridges-`));
      try {
        const f = join(dir, 'bridges.txt');
        writeFileSync(f, `# my bridges\n${good}\n\nobfs4 192.0.2.8:443 ${FP} cert=ssH+9r iat-mode=5\n`);
        const bad = d.cli(['gateway', 'bridges', 'set', 'gw-public', '--file', f]);
        assert.notEqual(bad.code, 0);
        assert.match(bad.stderr, /line 4: iat-mode: expected iat-mode=0, 1 or 2, got 'iat-mode=5'/);
        const badArg = d.cli(['gateway', 'bridges', 'set', 'gw-public', good, 'obfs4 192.0.2.8:443 XYZ cert=abcd iat-mode=0']);
        assert.match(badArg.stderr, /argument 2: fingerprint: 'XYZ' is not 40 hex digits/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      const kept = JSON.parse(d.ok(['gateway', 'bridges', 'list', 'gw-public', '--json'])) as { network: string; bridges: string[] };
      assert.deepEqual(kept, { gateway: 'gw-public', network: 'public', bridges: [good, `[2001:db8::1]:9001 ${FP}`] });
      const notGw = d.cli(['gateway', 'bridges', 'set', 'sys-net', good]);
      assert.match(notGw.stderr, /'sys-net' is not a gateway/);
      assert.match(d.ok(['gateway', 'bridges', 'clear', 'gw-public']), /no bridges/);
    } finally {
      d.cli(['remove', '--force', 'gw-public']);
    }
  });

  it('refuses a qube that is not a workstation, and a halted one, with one clear line', () => {
    const net = d.cli(['check', 'sys-net']);
    assert.notEqual(net.code, 0);
    assert.match(net.stderr, /'sys-net' is not a workstation/);
    const dvm = d.cli(['check', 'whonix-dvm']);
    assert.notEqual(dvm.code, 0);
    assert.match(dvm.stderr, /not running/);
    const none = d.cli(['check', 'no-such-qube']);
    assert.match(none.stderr, /no qube named 'no-such-qube'/);
  });

  it("the lab's obfs4 bridge set on sys-whonix (lab profile): tor re-reads its torrc and new circuits enter through the bridge", async () => {
    const { bridgeLine } = JSON.parse(readFileSync(join(d.home, 'lab', 'tor-network.json'), 'utf8')) as { bridgeLine: string };
    const [, bridgeAddr = '', bridgeFp = ''] = bridgeLine.replace(/^Bridge\s+/, '').split(' ');
    let ctl = await d.control().catch(() => null);
    for (let t = Date.now(); !ctl && Date.now() - t < 60_000;) {
      await new Promise((r) => setTimeout(r, 1000));
      ctl = await d.control().catch(() => null);
    }
    assert.ok(ctl, 'tor in sys-whonix answers');
    try {
      const ev = await d.events();
      try {
        assert.match(d.ok(['gateway', 'bridges', 'set', 'sys-whonix', bridgeLine], undefined, 120_000), /sys-whonix \(network profile lab\): 1 bridge/);
        const changed = await ev.waitFor('gateway-bridges-changed', (x) => x['qube'] === 'sys-whonix', 10_000);
        assert.deepEqual(changed.data, { qube: 'sys-whonix', network: 'lab', bridges: 1 });
      } finally {
        ev.stop();
      }
      // tor took the new torrc: its running configuration has the bridge.
      let conf = '';
      for (let t = Date.now(); !/UseBridges 1/.test(conf) && Date.now() - t < 30_000; await new Promise((r) => setTimeout(r, 500))) {
        conf = await ctl.tor.getinfoOne('config-text').catch(() => '');
      }
      assert.match(conf, /^UseBridges 1$/m);
      assert.match(conf, new RegExp(`^Bridge obfs4 ${bridgeAddr.replace(/[.[\]]/g, '\\$&')} ${bridgeFp} `, 'm'));
      assert.match(conf, /^ClientTransportPlugin obfs4 exec \/usr\/bin\/obfs4proxy$/m);
      // A fresh SOCKS username forces a new circuit; it must start at the bridge.
      let firstHop = '';
      let page = { code: 1, stdout: '', stderr: '' };
      for (let t = Date.now(), i = 0; firstHop !== bridgeFp && Date.now() - t < 180_000; i++) {
        const user = `bridge-${i}-${Date.now()}`;
        const w = await withStreamEvents(ctl, () =>
          d.run('anon-whonix', ['curl', '-sS', '--max-time', '30', '--socks5-hostname', '10.152.152.10:9050', '-U', `${user}:x`, 'http://web.lab.test/ip']),
        );
        page = w.result;
        const circ = [...circuitsOf(w.events, (e) => e.fields['SOCKS_USERNAME'] === user)][0];
        if (page.code === 0 && circ !== undefined) {
          const status = await ctl.tor.getinfoOne('circuit-status');
          const line = status.split('\n').find((l) => l.startsWith(`${circ} `)) ?? '';
          firstHop = /^\d+ \w+ \$([0-9A-F]{40})/.exec(line)?.[1] ?? '';
        }
        if (firstHop !== bridgeFp) await new Promise((r) => setTimeout(r, 3000));
      }
      assert.equal(page.code, 0, page.stderr);
      assert.equal(firstHop, bridgeFp, 'the circuit of a new stream starts at the lab bridge');
      assert.ok(d.labTor().exitAddresses.includes(page.stdout.trim()), `the web host saw ${page.stdout.trim()}`);
      // tor reaches the bridge over obfs4 (its transport port), from the gateway.
      const ss = execFileSync('ip', ['netns', 'exec', d.ns('sys-whonix'), 'ss', '-Htn', 'state', 'established', `dst ${bridgeAddr}`], { encoding: 'utf8' });
      assert.ok(ss.trim().length > 0, `a connection to the bridge ${bridgeAddr}`);
    } finally {
      ctl.close();
      d.cli(['gateway', 'bridges', 'clear', 'sys-whonix'], undefined, 120_000);
    }
  });

  it('fails, with exit code 1, while tor in the gateway is gone, and says tor is down', async () => {
    // Hold tor's supervisor so tor stays down for the whole check.
    const sup = d.supervisorPid();
    assert.equal(d.cli(['run', '--user', 'debian-tor', 'sys-whonix', '--', 'kill', '-STOP', String(sup)]).code, 0);
    const k = d.cli(['run', '--user', 'debian-tor', 'sys-whonix', '--', 'sh', '-c', 'kill -KILL $(pidof tor)']);
    assert.equal(k.code, 0, k.stderr);
    const ev = await d.events();
    await ev.waitFor('gateway-tor-down', (x) => x['qube'] === 'sys-whonix', 15_000).finally(() => ev.stop());
    const r = d.cli(['check', 'anon-whonix', '--json'], undefined, 900_000);
    const text = d.cli(['check', 'anon-whonix'], undefined, 900_000);
    d.cli(['run', '--user', 'debian-tor', 'sys-whonix', '--', 'kill', '-CONT', String(sup)]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(text.stdout, /^tor in sys-whonix: down since /m);
    const rep = JSON.parse(r.stdout) as CheckReport;
    assert.equal(rep.tor?.state, 'down');
    const failed = rep.checks.filter((c) => !c.ok).map((c) => c.id);
    for (const id of [
      'tor-bootstrapped',
      'trans-lab-page',
      'trans-onion-page',
      'socks-lab-page',
      'socks-onion-page',
      'dns-via-tor',
      'stream-isolation',
      'direct-tcp-proxied',
    ]) {
      assert.ok(failed.includes(id), `${id} fails: ${failed.join(',')}`);
    }
    // What does not depend on tor still holds.
    for (const id of ['identity-hostname', 'identity-machine-id', 'identity-address', 'direct-udp-icmp-blocked', 'lab-saw-only-tor']) {
      assert.ok(!failed.includes(id), `${id} still passes`);
    }
  });
});
