// Table tests of the torrc generator: golden snippets per variant, listeners agreeing with the plan, errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateTorrc, planGateway, type GatewayInput } from './index.js';
import { BRIDGE, DIRAUTH, FP, PW_HASH, labInput } from './fixtures.test-util.js';

const lines = (s: string) => s.split('\n');

test('lab torrc: testing network, lab authorities, client options, no default SocksPort', () => {
  const t = generateTorrc(labInput(1, { user: 'debian-tor', owningPid: 4242 }));
  const golden = [
    'TestingTorNetwork 1',
    `DirAuthority ${DIRAUTH}`,
    'PathsNeededToBuildCircuits 0.67',
    'DataDirectory /var/lib/bulkhead-tor',
    'RunAsDaemon 0',
    'Log notice stdout',
    'User debian-tor',
    '__OwningControllerProcess 4242',
    'GeoIPFile /etc/bulkhead/empty',
    'GeoIPv6File /etc/bulkhead/empty',
    'ControlPort 127.0.0.1:9052',
    'CookieAuthentication 0',
    `HashedControlPassword ${PW_HASH}`,
    'VirtualAddrNetworkIPv4 10.192.0.0/10',
    'AutomapHostsOnResolve 1',
    'AutomapHostsSuffixes .onion,.exit',
    'TransPort 10.152.152.10:20040',
    'DNSPort 10.152.152.10:20000 IsolateDestPort',
    'SocksPort 10.152.152.10:20050 IsolateSOCKSAuth',
    'SocksPort 10.152.152.10:20101 IsolateSOCKSAuth IsolateDestAddr IsolateDestPort',
    'SocksPort 10.152.152.10:20150 IsolateSOCKSAuth KeepAliveIsolateSOCKSAuth',
    'SocksPort 10.152.152.10:20160 IsolateSOCKSAuth IsolateDestAddr',
  ];
  for (const g of golden) assert.ok(lines(t).includes(g), `missing: ${g}`);
  assert.ok(lines(t).indexOf('TestingTorNetwork 1') < lines(t).indexOf(`DirAuthority ${DIRAUTH}`));
  assert.ok(!/UseBridges|Bridge /.test(t));
  assert.ok(!/^SocksPort (127\.0\.0\.1:)?9050\b/m.test(t), 'no SocksPort on a default address');
  assert.ok(!/^ControlPort .*10\.152/m.test(t), 'control port never on a workstation address');
  assert.ok(!/CookieAuthFile|CookieAuthentication 1/.test(t), 'no cookie file: the admin never reads one');
});

test('every listener of every workstation appears exactly once', () => {
  const input = labInput(3);
  const t = generateTorrc(input);
  const plan = planGateway(input);
  for (const w of plan.workstations) {
    for (const l of w.listeners) {
      const n = lines(t).filter((x) => x.split(' ')[1] === `${w.gatewayAddr}:${l.port}`).length;
      assert.equal(n, l.kind === 'control' ? 0 : 1, `${w.name} ${l.facingPort}`);
    }
  }
  assert.equal(lines(t).filter((x) => x.startsWith('SocksPort ')).length, 66 * 3);
  assert.equal(lines(t).filter((x) => x.startsWith('TransPort ')).length, 3);
  assert.equal(lines(t).filter((x) => x.startsWith('DNSPort ')).length, 3);
});

test('bridges, control socket and public network', () => {
  const b = generateTorrc(labInput(1, { bridges: [BRIDGE, `Bridge ${BRIDGE}`], control: { socketPath: '/run/tor/control' } }));
  assert.ok(lines(b).includes('UseBridges 1'));
  assert.ok(lines(b).includes('ClientTransportPlugin obfs4 exec /usr/bin/obfs4proxy'));
  assert.equal(lines(b).filter((x) => x === `Bridge ${BRIDGE}`).length, 2);
  assert.ok(lines(b).includes('ControlSocket /run/tor/control'));
  assert.ok(lines(b).includes('ControlPort 0'));
  const p = generateTorrc({ ...labInput(1), network: 'public', dirAuthorities: [] });
  assert.ok(!/TestingTorNetwork|DirAuthority|PathsNeeded/.test(p));
  assert.ok(lines(p).includes('TransPort 10.152.152.10:20040'));
});

test('bad input is refused naming the field; no default authorities ever', () => {
  const cases: [Partial<GatewayInput>, RegExp][] = [
    [{ dirAuthorities: [] }, /^dirAuthorities: network 'lab' needs/],
    [{ dirAuthorities: undefined }, /^dirAuthorities: network 'lab' needs/],
    [{ network: 'public' }, /^dirAuthorities: must be empty for network 'public'/],
    [{ network: 'main' as 'lab' }, /^network: must be 'lab' or 'public'/],
    [{ dirAuthorities: ['auth1 10.99.0.1:7001'] }, /^dirAuthorities\[0\]: .* is not 'NICK/],
    [{ dirAuthorities: [`auth1 orport=5001 10.99.0.1:7001 ${FP}`] }, /^dirAuthorities\[0\]: needs v3ident/],
    [{ dirAuthorities: [`${DIRAUTH}\nSocksPort 0.0.0.0:9050`] }, /^dirAuthorities\[0\]: must not contain control/],
    [{ bridges: ['obfs4 10.0.0.1:443 XYZ cert=a iat-mode=0'] }, /^bridges\[0\]: .* is not 'obfs4/],
    [{ bridges: [`${BRIDGE} extra`] }, /^bridges\[0\]/],
    [{ bridges: [`${BRIDGE}\rUseBridges 0`] }, /^bridges\[0\]: must not contain control/],
    [{ user: 'root; x' }, /^user: .* is not a user name/],
    [{ log: 'notice stdout\nLog debug file /tmp/x' }, /^log: must not contain control/],
    [{ owningPid: -1 }, /^owningPid/],
    [{ geoipFile: 'geoip' }, /^geoipFile/],
    [{ obfs4proxyPath: 'obfs4proxy', bridges: [BRIDGE] }, /^obfs4proxyPath/],
    [{ controlPasswordHash: undefined as unknown as string }, /^controlPasswordHash: must be a non-empty string/],
    [{ controlPasswordHash: 'secret' }, /^controlPasswordHash: must be tor's '16:'/],
    [{ controlPasswordHash: `${PW_HASH}\nControlPort 0.0.0.0:9052` }, /^controlPasswordHash: must not contain control/],
    [{ controlPasswordHash: PW_HASH.toLowerCase() }, /^controlPasswordHash: must be tor's/],
  ];
  for (const [patch, re] of cases) {
    assert.throws(() => generateTorrc({ ...labInput(1), ...patch }), (e: Error) => re.test(e.message), re.source);
  }
});
