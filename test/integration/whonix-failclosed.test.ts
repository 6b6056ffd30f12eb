// Fail-closed: with the gateway's ruleset refused, tor killed, or the gateway stopped, a workstation reaches nothing and the lab's hosts and uplinks see no packet.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { forceRemoveNetns } from './net-fixture.js';
import { whonixDaemon, type WhonixDaemon } from './whonix-fixture.js';
import { describeSeen, type Observation } from '../../src/features/whonix/lab-observer.js';
import { loadGatewayRules } from '../../src/features/whonix/gateway.js';
import {
  DEFAULT_GATEWAY_TABLE,
  DEFAULT_LOCKDOWN_TABLE,
  hashControlPassword,
  lockdownRuleset,
  newControlPassword,
  type GatewayInput,
} from '../../src/gateway/index.js';
import { applyRuleset } from '../../src/net/nft.js';
import type { DaemonContext } from '../../src/daemon/context.js';
import { UDP_ICMP_PROBE } from '../../src/features/whonix/check.js';

const RUN = process.env.BULKHEAD_TEST_RUN ?? `bht${randomBytes(2).toString('hex')}`;
/**
 * A test double for nft on PATH: while FLAG exists it refuses any ruleset that defines the gateway's
 * table (as nft would refuse a broken one); everything else goes to the real nft. The daemon started
 * by this test inherits PATH, so its gateway code meets the refusal for real.
 */
const WRAP_DIR = `/var/tmp/${RUN}-wxfc-nft`;
const FLAG = `${WRAP_DIR}/refuse-gateway-table`;
const WRAPPER = `#!/bin/bash
# test double: refuse the gateway table while ${FLAG} exists
if [ -e "${FLAG}" ] && [ "\${!#}" = "-" ]; then
  input=$(cat)
  if grep -q '^table inet ${DEFAULT_GATEWAY_TABLE} {' <<<"$input"; then echo "Error: ruleset refused (test flag)" >&2; exit 1; fi
  exec /usr/sbin/nft "$@" <<<"$input"
fi
exec /usr/sbin/nft "$@"
`;
const ORIGINAL_PATH = process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin';

function tables(netns: string): string[] {
  const r = spawnSync('ip', ['netns', 'exec', netns, '/usr/sbin/nft', 'list', 'tables'], { encoding: 'utf8', timeout: 10_000 });
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

function lockdownDrops(netns: string): number {
  const r = spawnSync('ip', ['netns', 'exec', netns, '/usr/sbin/nft', 'list', 'counter', 'inet', DEFAULT_LOCKDOWN_TABLE, 'lockdown_drop'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  return Number(/packets (\d+)/.exec(r.stdout)?.[1] ?? NaN);
}

const allZero = (o: Observation) => Object.values(o).every((s) => s.tor === 0 && s.other === 0);

describe('Whonix fail-closed', { timeout: 1_200_000 }, () => {
  before(() => {
    mkdirSync(WRAP_DIR, { recursive: true, mode: 0o700 });
    writeFileSync(`${WRAP_DIR}/nft`, WRAPPER);
    chmodSync(`${WRAP_DIR}/nft`, 0o755);
    process.env.PATH = `${WRAP_DIR}:${ORIGINAL_PATH}`;
  });
  after(() => {
    process.env.PATH = ORIGINAL_PATH;
    rmSync(WRAP_DIR, { recursive: true, force: true });
  });

  describe('lockdown at the function level (throwaway namespaces)', () => {
    const P = `${RUN}fc`;
    const GW = `${P}-gw`;
    const WS = `${P}-ws`;
    const UP = `${P}-up`;
    const ctx = { prefix: P } as DaemonContext;
    const sh = (args: string[], input?: string) => spawnSync(args[0] as string, args.slice(1), { encoding: 'utf8', timeout: 20_000, input });
    const input: GatewayInput = {
      network: 'lab',
      workstations: [{ name: 'ws', ifname: 'vif9', gatewayAddr: '10.152.152.10', workstationAddr: '10.152.152.11', slot: 0 }],
      dirAuthorities: ['auth1 orport=5001 v3ident=ABCDEF0123456789ABCDEF0123456789ABCDEF01 203.0.113.11:7001 ABCDEF0123456789ABCDEF0123456789ABCDEF01'],
      dataDir: '/var/lib/bulkhead-tor',
      torUid: 0,
      uplink: 'eth0',
      geoipFile: '/etc/bulkhead-tor/empty',
      controlPasswordHash: hashControlPassword(newControlPassword()),
    };
    /** TCP connect, UDP answer and ICMP echo between namespaces; each "ok" or why not. */
    const reach = (from: string, addr: string, port: number) => {
      const tcp = sh(['ip', 'netns', 'exec', from, 'nc', '-z', '-w', '2', addr, String(port)]).status === 0;
      const icmp = sh([
        'ip',
        'netns',
        'exec',
        from,
        'python3',
        '-c',
        `
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); s.settimeout(2)
s.sendto(struct.pack('!BBHHH', 8, 0, 0xf7fe, 0, 1), ('${addr}', 0))
while True:
    d, a = s.recvfrom(200)
    if a[0] == '${addr}' and d[20] == 0: print('reply'); break
`,
      ]).stdout.includes('reply');
      return { tcp, icmp };
    };
    const listeners: { kill: () => void }[] = [];

    before(() => {
      for (const ns of [GW, WS, UP]) sh(['ip', 'netns', 'add', ns]);
      for (const [a, ai, b, bi] of [
        [WS, 'eth0', GW, 'vif9'],
        [GW, 'eth0', UP, 'eth0'],
      ] as const) {
        const tmp = `wxfc${randomBytes(3).toString('hex')}`;
        assert.equal(sh(['ip', 'link', 'add', `${tmp}x`, 'netns', a, 'type', 'veth', 'peer', 'name', `${tmp}y`, 'netns', b]).status, 0);
        sh(['ip', '-n', a, 'link', 'set', `${tmp}x`, 'name', ai]);
        sh(['ip', '-n', b, 'link', 'set', `${tmp}y`, 'name', bi]);
      }
      const ip = (ns: string, ...a: string[]) => assert.equal(sh(['ip', '-n', ns, ...a]).status, 0, `${ns}: ip ${a.join(' ')}`);
      for (const ns of [GW, WS, UP]) ip(ns, 'link', 'set', 'lo', 'up');
      ip(WS, 'link', 'set', 'eth0', 'up');
      ip(WS, 'addr', 'add', '10.152.152.11/24', 'dev', 'eth0');
      ip(GW, 'link', 'set', 'vif9', 'up');
      ip(GW, 'addr', 'add', '10.152.152.10/24', 'dev', 'vif9');
      ip(GW, 'link', 'set', 'eth0', 'up');
      ip(GW, 'addr', 'add', '10.99.0.2/24', 'dev', 'eth0');
      ip(UP, 'link', 'set', 'eth0', 'up');
      ip(UP, 'addr', 'add', '10.99.0.1/24', 'dev', 'eth0');
      // Listeners: the gateway on the workstation link, the "uplink" host on its side.
      for (const [ns, addr] of [
        [GW, '10.152.152.10'],
        [UP, '10.99.0.1'],
      ] as const) {
        const r = sh(['ip', 'netns', 'exec', ns, 'sh', '-c', `socat TCP-LISTEN:7777,bind=${addr},fork,reuseaddr /dev/null & echo $!`]);
        const pid = Number(r.stdout.trim());
        listeners.push({
          kill: () => {
            try {
              process.kill(pid, 'SIGKILL');
            } catch {
              /* gone */
            }
          },
        });
      }
      spawnSync('sleep', ['0.5']);
    });
    after(() => {
      for (const l of listeners) l.kill();
      for (const ns of [GW, WS, UP]) sh(['ip', 'netns', 'delete', ns]);
    });

    it('without rules the three namespaces reach each other (control)', () => {
      assert.deepEqual(reach(WS, '10.152.152.10', 7777), { tcp: true, icmp: true });
      assert.deepEqual(reach(GW, '10.99.0.1', 7777), { tcp: true, icmp: true });
    });

    it('a ruleset the generator refuses leaves the lockdown in place, never the old state', async () => {
      await assert.rejects(loadGatewayRules(ctx, 'gw', { ...input, workstations: [] }), /ERR_FIREWALL|lockdown stays/);
      const t = tables(GW);
      assert.ok(t.includes(`table inet ${DEFAULT_LOCKDOWN_TABLE}`), t.join(','));
      assert.ok(!t.includes(`table inet ${DEFAULT_GATEWAY_TABLE}`), t.join(','));
    });

    it('a ruleset nft refuses leaves the lockdown in place', async () => {
      sh(['ip', 'netns', 'exec', GW, '/usr/sbin/nft', 'delete', 'table', 'inet', DEFAULT_LOCKDOWN_TABLE]);
      writeFileSync(FLAG, '');
      try {
        await assert.rejects(loadGatewayRules(ctx, 'gw', input), (e: Error) => /lockdown stays/.test(e.message) && /refused/.test(e.message));
      } finally {
        rmSync(FLAG, { force: true });
      }
      const t = tables(GW);
      assert.ok(t.includes(`table inet ${DEFAULT_LOCKDOWN_TABLE}`) && !t.includes(`table inet ${DEFAULT_GATEWAY_TABLE}`), t.join(','));
    });

    it('the lockdown drops everything in and out except loopback', () => {
      const before = lockdownDrops(GW);
      assert.deepEqual(reach(WS, '10.152.152.10', 7777), { tcp: false, icmp: false }, 'workstation → gateway');
      assert.deepEqual(reach(GW, '10.99.0.1', 7777), { tcp: false, icmp: false }, 'gateway → uplink');
      assert.deepEqual(reach(UP, '10.99.0.2', 7777), { tcp: false, icmp: false }, 'uplink → gateway');
      assert.ok(lockdownDrops(GW) > before, 'the lockdown counter saw the packets');
      const lo = sh(['ip', 'netns', 'exec', GW, 'nc', '-z', '-w', '2', '10.152.152.10', '7777']);
      assert.equal(lo.status, 0, 'loopback still works inside the gateway');
    });

    it('a good ruleset replaces the lockdown (control)', async () => {
      await loadGatewayRules(ctx, 'gw', input);
      const t = tables(GW);
      assert.ok(!t.includes(`table inet ${DEFAULT_LOCKDOWN_TABLE}`) && t.includes(`table inet ${DEFAULT_GATEWAY_TABLE}`), t.join(','));
      // And the lockdown can always be loaded: it names no interface or address.
      await applyRuleset(GW, lockdownRuleset());
    });
  });

  describe('through the daemon: sys-whonix and anon-whonix', () => {
    let d: WhonixDaemon;
    let prefix = '';
    before(async () => {
      d = await whonixDaemon('wxfc');
      prefix = d.prefix;
      const env = spawnSync('cat', [`/proc/${d.daemonPid()}/environ`], { encoding: 'utf8' })
        .stdout.split('\0')
        .find((l) => l.startsWith('PATH='));
      assert.ok(env?.includes(WRAP_DIR), `the daemon runs with the nft test double first on PATH: ${env}`);
    });
    after(async () => {
      rmSync(FLAG, { force: true });
      await d?.teardown();
      if (prefix) forceRemoveNetns(prefix);
    });

    /** Every way out tried from the workstation (as user and as root); each result says whether it got through. */
    const attempts = (): Record<string, boolean> => {
      const out: Record<string, boolean> = {};
      const curl = (url: string, extra: string[] = []) =>
        d.run('anon-whonix', ['curl', '-sS', '--connect-timeout', '5', '--max-time', '8', ...extra, url], { timeoutMs: 30_000 });
      out['curl web.lab.test'] = curl('http://web.lab.test/').code === 0;
      out['curl 192.0.2.10'] = curl('http://192.0.2.10/').code === 0;
      out['curl via SOCKS'] = curl('http://web.lab.test/', ['--socks5-hostname', '10.152.152.10:9050']).code === 0;
      const dig = (args: string[]) => d.run('anon-whonix', ['dig', '+short', '+time=3', '+tries=1', ...args], { timeoutMs: 30_000 });
      // +short prints only answers; error lines (";; communications error to ...") are not answers.
      const answered = (out: string) => out.split('\n').some((l) => /^\d+\.\d+\.\d+\.\d+$/.test(l.trim()));
      out['dig via gateway'] = answered(dig(['web.lab.test']).stdout);
      out['dig @192.0.2.53'] = answered(dig(['@192.0.2.53', 'web.lab.test']).stdout);
      const probe = d.run('anon-whonix', ['python3', '-c', UDP_ICMP_PROBE], { root: true, timeoutMs: 30_000 });
      out['udp/icmp as root'] = / answered$/m.test(probe.stdout);
      return out;
    };

    /** Attempts with the lab observed; asserts nothing got through and the lab saw nothing. */
    /**
     * `uplinkToRelays`: whether packets from sys-net to Tor relays may appear. Only after tor was killed:
     * the gateway's kernel still answers relays on tor's dead connections (ACK/FIN/RST), which is not
     * workstation traffic; anything else from the uplink, and anything at the lab hosts, is.
     */
    const nothingGetsOut = async (what: string, uplinkToRelays = false) => {
      const obs = await d.observe();
      try {
        // First let what was under way end (tor's own connections closing in the kernel): 3 s without a packet.
        let last = JSON.stringify(await obs.read());
        for (let quiet = 0, i = 0; quiet < 6 && i < 120; i++) {
          await new Promise((r) => setTimeout(r, 500));
          const now = JSON.stringify(await obs.read());
          quiet = now === last ? quiet + 1 : 0;
          last = now;
        }
        const before = await obs.read();
        const got = attempts();
        const seen = await obs.read();
        const delta: Observation = {};
        for (const [k, v] of Object.entries(seen)) delta[k] = { tor: v.tor - (before[k]?.tor ?? 0), other: v.other - (before[k]?.other ?? 0) };
        assert.deepEqual(
          Object.entries(got)
            .filter(([, ok]) => ok)
            .map(([k]) => k),
          [],
          `${what}: nothing gets through`,
        );
        const { uplinks, ...hosts } = delta;
        assert.ok(allZero(hosts), `${what}: the lab hosts saw ${describeSeen(delta)}`);
        assert.equal(uplinks?.other, 0, `${what}: sys-net sent to the lab: ${describeSeen(delta)}`);
        if (!uplinkToRelays) assert.equal(uplinks?.tor, 0, `${what}: sys-net sent to Tor relays: ${describeSeen(delta)}`);
        return delta;
      } finally {
        await obs.remove();
      }
    };

    it('the same attempts succeed while the gateway is whole (control)', async () => {
      const got = attempts();
      assert.equal(got['curl web.lab.test'], true);
      assert.equal(got['curl 192.0.2.10'], true);
      assert.equal(got['curl via SOCKS'], true);
      assert.equal(got['dig via gateway'], true);
      assert.equal(got['udp/icmp as root'], false, 'UDP and ICMP never get an answer');
    });

    it('gateway ruleset refused on reload: lockdown, the workstation reaches nothing', async (tc) => {
      writeFileSync(FLAG, '');
      try {
        // A second workstation makes the gateway re-plan and reload its ruleset; nft refuses it.
        d.ok(['create', 'anon2', '--template', 'whonix-ws', '--label', 'red', '--prop', 'netvm=sys-whonix']);
        const r = d.cli(['start', 'anon2'], undefined, 120_000);
        assert.notEqual(r.code, 0, 'the second workstation does not start');
        assert.match(r.stderr, /lockdown stays/);
      } finally {
        rmSync(FLAG, { force: true });
      }
      const t = tables(d.ns('sys-whonix'));
      assert.ok(t.includes(`table inet ${DEFAULT_LOCKDOWN_TABLE}`), t.join(','));
      await nothingGetsOut('ruleset refused');
      // Once the ruleset loads again (the second workstation starts), the lockdown goes and Tor works.
      d.ok(['start', 'anon2'], undefined, 120_000);
      assert.ok(!tables(d.ns('sys-whonix')).includes(`table inet ${DEFAULT_LOCKDOWN_TABLE}`));
      // tor's connections stalled under the lockdown; it recovers on its own.
      const t0 = Date.now();
      let page = d.run('anon-whonix', ['curl', '-sS', '--max-time', '20', 'http://web.lab.test/ip']);
      while (page.code !== 0 && Date.now() - t0 < 120_000) page = d.run('anon-whonix', ['curl', '-sS', '--max-time', '20', 'http://web.lab.test/ip']);
      assert.equal(page.code, 0, page.stderr);
      tc.diagnostic(`Tor fetch works again ${((Date.now() - t0) / 1000).toFixed(1)} s after the ruleset loaded`);
      d.ok(['kill', 'anon2']);
    });

    /** Kill tor by its pid inside the gateway (as debian-tor, as an attacker or a crash would). */
    const killTor = () => {
      const k = d.cli(['run', '--user', 'debian-tor', 'sys-whonix', '--', 'sh', '-c', 'for p in $(pidof tor); do kill -KILL "$p"; done']);
      assert.equal(k.code, 0, k.stderr);
      for (let i = 0; i < 50 && d.torPids().length; i++) spawnSync('sleep', ['0.1']);
    };
    const fetchAgain = (ms: number) => {
      const t0 = Date.now();
      let page = d.run('anon-whonix', ['curl', '-sS', '--max-time', '20', 'http://web.lab.test/ip']);
      while (page.code !== 0 && Date.now() - t0 < ms) page = d.run('anon-whonix', ['curl', '-sS', '--max-time', '20', 'http://web.lab.test/ip']);
      assert.equal(page.code, 0, page.stderr);
      assert.ok(d.labTor().exitAddresses.includes(page.stdout.trim()), `the web host saw ${page.stdout.trim()}`);
      return Date.now() - t0;
    };
    const torNote = () =>
      (JSON.parse(d.ok(['ls', '--json'])) as { name: string; tor?: { state: string; restarts: number } }[]).find((q) => q.name === 'sys-whonix')?.tor;

    it('tor killed in the gateway: the workstation reaches nothing while it is down; it comes back by itself', async (tc) => {
      assert.ok(d.torPids().length > 0, 'tor runs in the gateway');
      assert.equal(torNote()?.state, 'up', 'ls shows tor up');
      const ev = await d.events();
      try {
        // Hold the supervisor (SIGSTOP) so tor stays down for the whole set of attempts below.
        const sup = d.supervisorPid();
        assert.equal(d.cli(['run', '--user', 'debian-tor', 'sys-whonix', '--', 'kill', '-STOP', String(sup)]).code, 0);
        killTor();
        assert.deepEqual(d.torPids(), [], 'no tor process is left in the gateway');
        await ev.waitFor('gateway-tor-down', (x) => x['qube'] === 'sys-whonix', 15_000);
        assert.equal(torNote()?.state, 'down', 'ls shows tor down');
        assert.match(d.ok(['ls']), /sys-whonix\s+Running \(tor down, network lab\)/);
        const seen = await nothingGetsOut('tor killed', true);
        tc.diagnostic(`during the attempts: ${describeSeen(seen)}`);
        // Let the supervisor go on: tor is back by itself within its back-off, and Tor works again.
        const t0 = Date.now();
        assert.equal(d.cli(['run', '--user', 'debian-tor', 'sys-whonix', '--', 'kill', '-CONT', String(sup)]).code, 0);
        const up = await ev.waitFor('gateway-tor-up', (x) => x['qube'] === 'sys-whonix' && Number(x['restarts']) >= 1, 30_000);
        tc.diagnostic(`tor answered again ${((Date.parse(up.time) - t0) / 1000).toFixed(1)} s after the supervisor went on`);
        assert.ok(d.torPids().length > 0);
        assert.equal(torNote()?.state, 'up');
        tc.diagnostic(`lab page fetched again after ${(fetchAgain(120_000) / 1000).toFixed(1)} s`);
      } finally {
        ev.stop();
      }
    });

    it('tor killed without holding its supervisor: back within 30 s, events down then up, the page loads again', async (tc) => {
      const ev = await d.events();
      try {
        const before = torNote()?.restarts ?? 0;
        const t0 = Date.now();
        killTor();
        await ev.waitFor('gateway-tor-down', (x) => x['qube'] === 'sys-whonix', 15_000);
        const up = await ev.waitFor('gateway-tor-up', (x) => x['qube'] === 'sys-whonix' && Number(x['restarts']) === before + 1, 30_000);
        tc.diagnostic(`tor back ${((Date.parse(up.time) - t0) / 1000).toFixed(1)} s after it was killed`);
        const order = ev.seen.filter((e) => e.event.startsWith('gateway-tor-')).map((e) => e.event);
        assert.deepEqual(order.slice(-2), ['gateway-tor-down', 'gateway-tor-up']);
        assert.match(d.ok(['ls']), new RegExp(`sys-whonix\\s+Running \\(tor up, ${before + 1} restarts, network lab\\)`));
        tc.diagnostic(`lab page fetched again after ${(fetchAgain(120_000) / 1000).toFixed(1)} s`);
      } finally {
        ev.stop();
      }
    });

    it('gateway stopped: the workstation reaches nothing and keeps no link', async () => {
      d.ok(['kill', 'sys-whonix']);
      // The kernel removes a namespace's links in the background once its last user is gone.
      const links = () =>
        spawnSync('ip', ['-n', d.ns('anon-whonix'), '-o', 'link'], { encoding: 'utf8' })
          .stdout.trim()
          .split('\n')
          .map((l) => l.split(': ')[1]);
      for (let i = 0; i < 100 && links().length > 1; i++) spawnSync('sleep', ['0.1']);
      assert.deepEqual(links(), ['lo'], 'its only link went with the gateway');
      await nothingGetsOut('gateway stopped');
      const netvm = (JSON.parse(d.ok(['prefs', 'anon-whonix', '--json'])) as { name: string; value: unknown }[]).find((p) => p.name === 'netvm')?.value;
      assert.ok(netvm === 'sys-whonix' || netvm === null || netvm === '', `never a clearnet netvm: ${String(netvm)}`);
    });

    it('the gateway back: the running workstation gets its one link again and reaches the lab through Tor', () => {
      d.ok(['start', 'sys-whonix'], undefined, 180_000);
      const links = spawnSync('ip', ['-n', d.ns('anon-whonix'), '-o', 'link'], { encoding: 'utf8' })
        .stdout.trim()
        .split('\n')
        .map((l) => l.split(': ')[1]?.split('@')[0]);
      assert.deepEqual(links, ['lo', 'eth0']);
      const t0 = Date.now();
      let page = d.run('anon-whonix', ['curl', '-sS', '--max-time', '20', 'http://web.lab.test/ip']);
      while (page.code !== 0 && Date.now() - t0 < 90_000) page = d.run('anon-whonix', ['curl', '-sS', '--max-time', '20', 'http://web.lab.test/ip']);
      assert.equal(page.code, 0, page.stderr);
      assert.ok(d.labTor().exitAddresses.includes(page.stdout.trim()), `the web host saw ${page.stdout.trim()}`);
    });
  });
});
