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
    [{ bridges: ['obfs4 10.0.0.1:443 XYZ cert=a iat-mode=0'] }, /^bridges\[0\]: fingerprint: 'XYZ' is not 40 hex digits/],
    [{ bridges: [`obfs4 10.0.0.1:443 ${FP} cert=abcd iat-mode=7`] }, /^bridges\[0\]: iat-mode:/],
    [{ bridges: 'obfs4' as unknown as string[] }, /^bridges: must be a list/],
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
    assert.throws(
      () => generateTorrc({ ...labInput(1), ...patch }),
      (e: Error) => re.test(e.message),
      re.source,
    );
  }
});

/** The torrc with its authority section (from the profile comment to the first blank line) cut out. */
function withoutAuthorities(t: string): string {
  return t.replace(/^# Generated by bulkhead .*\n/, '').replace(/# Network profile [^\n]*\n(?:[^\n]+\n)*/, '');
}

test('profiles: lab and public share every line but the authority section (one code path)', () => {
  const lab = generateTorrc(labInput(2, { bridges: [BRIDGE] }));
  const pub = generateTorrc({ ...labInput(2, { bridges: [BRIDGE] }), network: 'public', dirAuthorities: [] });
  assert.equal(withoutAuthorities(pub), withoutAuthorities(lab));
  assert.notEqual(pub, lab);
  // Whonix's client settings are in both.
  for (const t of [lab, pub]) {
    for (const l of ['ClientOnly 1', 'ExitRelay 0', 'ExitPolicy reject *:*', 'SafeLogging 1', 'AvoidDiskWrites 1'])
      assert.ok(lines(t).includes(l), `missing ${l}`);
  }
});

test('public torrc, golden head: no authority, no Testing option, Whonix client settings', () => {
  const t = generateTorrc({ ...labInput(1), network: 'public', dirAuthorities: [] });
  const head = t.slice(0, t.indexOf('\n# Onion and .exit'));
  assert.equal(
    head,
    [
      '# Generated by bulkhead for a gateway qube (network public); do not edit.',
      '',
      '# Network profile public: the real Tor network (the authorities built into tor).',
      '',
      "# Whonix-Gateway's settings: a client only, never a relay or an exit; addresses scrubbed from logs.",
      'ClientOnly 1',
      'ExitRelay 0',
      'ExitPolicy reject *:*',
      'SafeLogging 1',
      '',
      '# Process',
      'DataDirectory /var/lib/bulkhead-tor',
      'RunAsDaemon 0',
      'Log notice stdout',
      'ShutdownWaitLength 2',
      'AvoidDiskWrites 1',
      'GeoIPFile /etc/bulkhead/empty',
      'GeoIPv6File /etc/bulkhead/empty',
      '',
      '# Control port: loopback only, a password only the admin knows (no cookie file for anyone to swap);',
      '# workstations reach it only through the filter.',
      'ControlPort 127.0.0.1:9052',
      'CookieAuthentication 0',
      `HashedControlPassword ${PW_HASH}`,
      '',
    ].join('\n'),
  );
  assert.ok(!/Testing|DirAuthority|AlternateDirAuthority|PathsNeeded|UseBridges|ORPort [1-9]|DirPort [1-9]/.test(t));
});

test('bridges: obfs4 brings the transport plugin, plain bridges alone do not', () => {
  const plain = `192.0.2.8:9001 ${FP}`;
  const both = generateTorrc({ ...labInput(1), network: 'public', dirAuthorities: [], bridges: [plain, `Bridge ${BRIDGE}`, '[2001:db8::8]:443'] });
  const b = both.slice(both.indexOf('# Bridges'), both.indexOf('\n\n', both.indexOf('# Bridges')));
  assert.equal(
    b,
    [
      '# Bridges: tor enters the network only through these.',
      'UseBridges 1',
      'ClientTransportPlugin obfs4 exec /usr/bin/obfs4proxy',
      `Bridge ${plain}`,
      `Bridge ${BRIDGE}`,
      'Bridge [2001:db8::8]:443',
    ].join('\n'),
  );
  const onlyPlain = generateTorrc({ ...labInput(1), bridges: [plain] });
  assert.ok(lines(onlyPlain).includes('UseBridges 1') && lines(onlyPlain).includes(`Bridge ${plain}`));
  assert.ok(!/ClientTransportPlugin/.test(onlyPlain));
  assert.ok(!/UseBridges|ClientTransportPlugin|^Bridge /m.test(generateTorrc(labInput(1))));
});
