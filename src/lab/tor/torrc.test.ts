// Golden-line tests of the lab torrc generator: every node names the lab authorities and the required options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planTorNetwork } from './plan.js';
import { clientTorrc, msUntilLaunchSlot, nodeTorrc } from './torrc.js';

const plan = planTorNetwork({
  stateDir: '/lab',
  addresses: { authorities: ['10.1.0.11', '10.1.0.12', '10.1.0.13'], relays: ['10.1.0.21', '10.1.0.22'], bridge: '10.1.0.31', onion: '10.1.0.41' },
});
const da = 'DirAuthority auth1 orport=5100 v3ident=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA 10.1.0.11:5200 BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB';
const ctx = { plan, dirAuthorityLines: [da], ownerPid: 4242 };
const lines = (t: string): string[] => t.trim().split('\n');
const node = (nick: string) => {
  const n = plan.nodes.find((x) => x.nick === nick);
  assert.ok(n);
  return n;
};

const COMMON = [
  'TestingTorNetwork 1',
  da,
  'RunAsDaemon 0',
  'CookieAuthentication 1',
  '__OwningControllerProcess 4242',
  'GeoIPFile /lab/empty',
  'GeoIPv6File /lab/empty',
  'TestingDirAuthVoteExit *',
  'V3AuthNIntervalsValid 2',
];

test('every node torrc has the common lab options and its own data directory', () => {
  for (const n of plan.nodes) {
    const l = lines(nodeTorrc(n, ctx));
    for (const c of COMMON) assert.ok(l.includes(c), `${n.nick}: missing "${c}"`);
    assert.ok(l.includes(`DataDirectory /lab/${n.nick}`));
    assert.ok(l.includes(`ControlPort 127.0.0.1:${n.controlPort}`));
    assert.ok(l.includes(`ControlSocket /lab/${n.nick}/control.sock`));
    assert.ok(!l.some((x) => /^(DirAuthority|FallbackDir) (?!auth1 )/.test(x)), 'only the lab authorities');
  }
});

test('authority: DirPort, voting timings, exit policy accept *:*', () => {
  const l = lines(nodeTorrc(node('auth2'), ctx));
  for (const c of [
    'DirPort 10.1.0.12:5201',
    'ORPort 10.1.0.12:5101',
    'AuthoritativeDirectory 1',
    'V3AuthoritativeDirectory 1',
    'TestingV3AuthInitialVotingInterval 5',
    'V3AuthVotingInterval 10',
    'ExitRelay 1',
    'ExitPolicy accept *:*',
    'ExitPolicyRejectPrivate 0',
    'ServerDNSResolvConfFile /lab/resolv.conf',
    'OutboundBindAddress 10.1.0.12',
    'SocksPort 0',
  ]) {
    assert.ok(l.includes(c), `missing "${c}"`);
  }
});

test('relay: an exit without authority options', () => {
  const l = lines(nodeTorrc(node('relay1'), ctx));
  assert.ok(l.includes('ExitPolicy accept *:*'));
  assert.ok(!l.some((x) => x.startsWith('DirPort') || x.startsWith('AuthoritativeDirectory')));
});

test('bridge: obfs4 transport, unpublished, not an exit', () => {
  const l = lines(nodeTorrc(node('bridge'), ctx));
  for (const c of [
    'BridgeRelay 1',
    'PublishServerDescriptor 0',
    'ServerTransportPlugin obfs4 exec /usr/bin/obfs4proxy',
    'ServerTransportListenAddr obfs4 10.1.0.31:5400',
    'ExitPolicy reject *:*',
    'ExitRelay 0',
  ]) {
    assert.ok(l.includes(c), `missing "${c}"`);
  }
  assert.ok(!l.includes('ExitPolicy accept *:*'));
});

test('onion host: hidden service to the local page server, network off until the controller enables it', () => {
  const l = lines(nodeTorrc(node('onion'), ctx));
  for (const c of ['HiddenServiceDir /lab/onion/hs', 'HiddenServicePort 80 127.0.0.1:5500', 'DisableNetwork 1', 'SocksPort 0']) {
    assert.ok(l.includes(c), `missing "${c}"`);
  }
  assert.ok(!l.some((x) => x.startsWith('ORPort') || x.startsWith('ExitPolicy')));
});

test('no DirAuthority lines, or a malformed one, is refused (a lab tor never uses the public network)', () => {
  assert.throws(() => nodeTorrc(node('relay1'), { ...ctx, dirAuthorityLines: [] }), /no DirAuthority/);
  assert.throws(() => nodeTorrc(node('relay1'), { ...ctx, dirAuthorityLines: [`${da}\nExitPolicy accept *:*`] }), /bad DirAuthority/);
  assert.throws(() => nodeTorrc(node('relay1'), { ...ctx, dirAuthorityLines: ['FallbackDir 1.2.3.4:80'] }), /bad DirAuthority/);
});

const bridge = 'obfs4 10.1.0.31:5400 CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC cert=abc+/def iat-mode=0';
const client = { plan: { emptyFile: '/c/empty' }, dataDir: '/c', nick: 'client1', dirAuthorityLines: [da], ownerPid: 7, socksPort: 9050, controlPort: 9051 };

test('client: SOCKS on the namespace loopback; with a bridge line, only that bridge', () => {
  const plain = lines(clientTorrc(client));
  assert.ok(plain.includes('SocksPort 127.0.0.1:9050'));
  assert.ok(plain.includes('TestingTorNetwork 1'));
  assert.ok(!plain.includes('UseBridges 1'));
  for (const b of [bridge, `Bridge ${bridge}`]) {
    const l = lines(clientTorrc({ ...client, bridgeLine: b }));
    assert.ok(l.includes('UseBridges 1'));
    assert.ok(l.includes('ClientTransportPlugin obfs4 exec /usr/bin/obfs4proxy'));
    assert.ok(l.includes(`Bridge ${bridge}`));
  }
});

test('client: a malformed bridge line is refused', () => {
  for (const b of [
    'obfs4 10.1.0.31:5400 XYZ cert=a iat-mode=0',
    'meek 1.2.3.4:1 CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC cert=a iat-mode=0',
    `${bridge}\nUseBridges 0`,
  ]) {
    assert.throws(() => clientTorrc({ ...client, bridgeLine: b }), /bridgeLine/);
  }
});

test('launch slot: just after the vote at second 3 of each 5 s period', () => {
  assert.equal(msUntilLaunchSlot(1_000_003_300), 0);
  assert.equal(msUntilLaunchSlot(1_000_003_000), 300);
  assert.equal(msUntilLaunchSlot(1_000_003_400), 4900);
  assert.equal(msUntilLaunchSlot(1_000_000_000), 3300);
  for (let t = 0; t < 10_000; t += 137) assert.ok(msUntilLaunchSlot(t) >= 0 && msUntilLaunchSlot(t) < 5000);
});
