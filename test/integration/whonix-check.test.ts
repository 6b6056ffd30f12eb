// `bulkhead check WORKSTATION` through the real daemon and CLI: every check passes on a whole setup, and the network checks fail once tor is gone.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { forceRemoveNetns } from './net-fixture.js';
import { whonixDaemon, type WhonixDaemon } from './whonix-fixture.js';
import type { CheckReport } from '../../src/whonix/check.js';

const ALL = [
  'tor-bootstrapped', 'trans-lab-page', 'trans-onion-page', 'socks-lab-page', 'socks-onion-page', 'dns-via-tor', 'stream-isolation',
  'identity-hostname', 'identity-machine-id', 'identity-timezone', 'identity-user', 'identity-address',
  'direct-tcp-proxied', 'direct-udp-icmp-blocked', 'lab-saw-only-tor',
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
    assert.deepEqual(rep.checks.map((c) => c.id), ALL);
    assert.ok(rep.ok && rep.checks.every((c) => c.ok));
    assert.equal(rep.gateway, 'sys-whonix');
    assert.equal(rep.tor?.state, 'up', 'the report carries tor\'s state');
    assert.match(text.stdout, /^tor in sys-whonix: up since /m);
    // The observer really counted: the exits reached the web and DNS hosts, nothing else did.
    assert.ok((rep.labSeen?.['web']?.tor ?? 0) > 0, JSON.stringify(rep.labSeen));
    assert.ok((rep.labSeen?.['dns']?.tor ?? 0) > 0, JSON.stringify(rep.labSeen));
    assert.ok(Object.values(rep.labSeen ?? {}).every((s) => s.other === 0));
    const seen = rep.checks.find((c) => c.id === 'direct-tcp-proxied')?.detail ?? '';
    const exit = /saw (\S+)/.exec(seen)?.[1] ?? '';
    assert.ok(d.labTor().exitAddresses.includes(exit), seen);
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
    for (const id of ['tor-bootstrapped', 'trans-lab-page', 'trans-onion-page', 'socks-lab-page', 'socks-onion-page', 'dns-via-tor', 'stream-isolation', 'direct-tcp-proxied']) {
      assert.ok(failed.includes(id), `${id} fails: ${failed.join(',')}`);
    }
    // What does not depend on tor still holds.
    for (const id of ['identity-hostname', 'identity-machine-id', 'identity-address', 'direct-udp-icmp-blocked', 'lab-saw-only-tor']) {
      assert.ok(!failed.includes(id), `${id} still passes`);
    }
  });
});
