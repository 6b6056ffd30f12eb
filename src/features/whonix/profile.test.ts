// Unit tests of the profile decisions: which profile a gateway uses, when a start is refused, which check rows need the lab.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { QubeRecord, SystemView } from '../../model/index.js';
import { CHECK_ROWS, gatewayNetwork, isLabRow, labRowsSkipReason, startRefusal } from './profile.js';
import { uplinkOf } from '../../model/index.js';

function q(name: string, props: QubeRecord['props'] = {}, features: Record<string, string> = {}): QubeRecord {
  return { name, uuid: name, qid: 1, klass: 'app', label: 'red', props, tags: [], features, createdAt: '' };
}
function sys(qs: QubeRecord[]): SystemView {
  return { qubes: new Map(qs.map((x) => [x.name, x])), globals: {} };
}
const net = (uplink?: string) => q('sys-net', { provides_network: true, netvm: null }, uplink ? { uplink } : {});
const fw = q('sys-firewall', { provides_network: true, netvm: 'sys-net' });
const gw = (props: QubeRecord['props'] = {}) => q('sys-whonix', { provides_network: true, netvm: 'sys-firewall', ...props }, { gateway: 'tor' });

test('profile and uplink of a gateway', () => {
  assert.equal(gatewayNetwork(sys([gw()]), gw()), 'lab', 'default');
  assert.equal(gatewayNetwork(sys([gw({ tor_network: 'public' })]), gw({ tor_network: 'public' })), 'public');
  assert.equal(gatewayNetwork(sys([gw({ tor_network: 'odd' })]), gw({ tor_network: 'odd' })), 'public', 'unknown reads as public: never started');
  assert.equal(uplinkOf(sys([net('lab'), fw, gw()]), gw()), 'lab');
  assert.equal(uplinkOf(sys([net('host'), fw, gw()]), gw()), 'host');
  assert.equal(uplinkOf(sys([net(), fw, gw()]), gw()), null);
  assert.equal(uplinkOf(sys([gw({ netvm: null })]), gw({ netvm: null })), null);
  assert.equal(uplinkOf(sys([fw, gw()]), gw()), null, 'a missing netvm ends the chain');
});

test('start refusal: public is never started; lab only behind the lab', () => {
  const cases: [Parameters<typeof startRefusal>[1], string | null, RegExp | null][] = [
    ['lab', 'lab', null],
    ['lab', null, null],
    ['public', 'lab', /network profile public .* its uplink is the lab: it would try to reach the public Tor network from the sealed lab/],
    ['public', 'host', /network profile public: this build never starts tor on the public Tor network/],
    ['public', null, /this build never starts tor on the public Tor network/],
    ['lab', 'host', /network profile lab but its uplink is 'host'/],
  ];
  for (const [network, uplink, re] of cases) {
    const why = startRefusal('sys-whonix', network, uplink);
    if (re === null) assert.equal(why, null, `${network}/${uplink}`);
    else assert.match(why ?? '', re, `${network}/${uplink}`);
  }
});

test('check rows: the lab rows are skipped, with the reason, outside the lab profile', () => {
  assert.equal(labRowsSkipReason('lab'), null);
  assert.match(labRowsSkipReason('public') ?? '', /needs the lab .* network profile is public/);
  const lab = CHECK_ROWS.filter((r) => r.lab).map((r) => r.id);
  const notLab = CHECK_ROWS.filter((r) => !r.lab).map((r) => r.id);
  // What runs on a real machine: tor's bootstrap and the workstation's identity, nothing that needs a lab host.
  assert.deepEqual(notLab, ['tor-bootstrapped', 'identity-hostname', 'identity-machine-id', 'identity-timezone', 'identity-user', 'identity-address']);
  for (const id of [
    'trans-lab-page',
    'trans-onion-page',
    'socks-lab-page',
    'socks-onion-page',
    'dns-via-tor',
    'stream-isolation',
    'direct-tcp-proxied',
    'direct-udp-icmp-blocked',
    'lab-saw-only-tor',
    'lab-observer',
  ]) {
    assert.ok(lab.includes(id) && isLabRow(id), id);
  }
  assert.equal(isLabRow('tor-bootstrapped'), false);
  assert.equal(isLabRow('no-such-row'), false);
  assert.equal(new Set(CHECK_ROWS.map((r) => r.id)).size, CHECK_ROWS.length);
});
