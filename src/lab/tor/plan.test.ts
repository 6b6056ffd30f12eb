// Table tests of the lab Tor network plan: shapes, ports, and invalid inputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { consensusNodes, planTorNetwork } from './plan.js';

const addrs = { authorities: ['10.1.0.11', '10.1.0.12', '10.1.0.13'], relays: ['10.1.0.21', '10.1.0.22'], bridge: '10.1.0.31', onion: '10.1.0.41' };

test('one address per node: 3 authorities, relays, bridge, onion host, distinct ports', () => {
  const p = planTorNetwork({ stateDir: '/var/lib/lab/tor/', addresses: addrs, basePort: 6000 });
  assert.deepEqual(
    p.nodes.map((n) => `${n.nick}:${n.role}:${n.address}`),
    [
      'auth1:authority:10.1.0.11',
      'auth2:authority:10.1.0.12',
      'auth3:authority:10.1.0.13',
      'relay1:relay:10.1.0.21',
      'relay2:relay:10.1.0.22',
      'bridge:bridge:10.1.0.31',
      'onion:onion:10.1.0.41',
    ],
  );
  assert.deepEqual(
    p.nodes.map((n) => [n.orPort, n.dirPort, n.controlPort, n.obfs4Port]),
    [
      [6000, 6100, 6200, 0],
      [6001, 6101, 6201, 0],
      [6002, 6102, 6202, 0],
      [6003, 0, 6203, 0],
      [6004, 0, 6204, 0],
      [6005, 0, 6205, 6300],
      [0, 0, 6206, 0],
    ],
  );
  assert.equal(p.nodes[0]?.dataDir, '/var/lib/lab/tor/auth1');
  assert.equal(p.nodes[0]?.controlSocket, '/var/lib/lab/tor/auth1/control.sock');
  assert.equal(p.resolvConf, '/var/lib/lab/tor/resolv.conf');
  assert.deepEqual(p.onionHttp, { address: '127.0.0.1', port: 6400 });
  assert.deepEqual(
    consensusNodes(p).map((n) => n.nick),
    ['auth1', 'auth2', 'auth3', 'relay1', 'relay2'],
  );
});

test('single-address mode keeps nodes apart by port', () => {
  const p = planTorNetwork({ stateDir: '/s', addresses: { single: '127.0.0.1', relayCount: 3 } });
  assert.equal(p.nodes.length, 8);
  assert.ok(p.nodes.every((n) => n.address === '127.0.0.1'));
  const ports = p.nodes.flatMap((n) => [n.orPort, n.dirPort, n.controlPort, n.obfs4Port]).filter((x) => x > 0);
  assert.equal(new Set(ports).size, ports.length, 'no port used twice');
  assert.equal(p.nodes[0]?.orPort, 5100);
});

const INVALID: [string, Parameters<typeof planTorNetwork>[0], RegExp][] = [
  ['two authorities', { stateDir: '/s', addresses: { ...addrs, authorities: ['10.1.0.11', '10.1.0.12'] } }, /authorities: need exactly 3/],
  ['one relay', { stateDir: '/s', addresses: { ...addrs, relays: ['10.1.0.21'] } }, /relays: need 2\.\.20/],
  ['bad relay address', { stateDir: '/s', addresses: { ...addrs, relays: ['10.1.0.21', '10.1.0.256'] } }, /relays\[1\]: "10\.1\.0\.256"/],
  ['hostname as bridge', { stateDir: '/s', addresses: { ...addrs, bridge: 'bridge.lab' } }, /addresses\.bridge/],
  ['injection in onion address', { stateDir: '/s', addresses: { ...addrs, onion: '10.1.0.41\nExitPolicy accept *:*' } }, /addresses\.onion/],
  ['relative state dir', { stateDir: 'lab', addresses: addrs }, /stateDir/],
  ['low base port', { stateDir: '/s', addresses: addrs, basePort: 80 }, /basePort/],
  ['high base port', { stateDir: '/s', addresses: addrs, basePort: 65300 }, /basePort/],
  ['single with one relay', { stateDir: '/s', addresses: { single: '127.0.0.1', relayCount: 1 } }, /relayCount/],
];

for (const [name, input, err] of INVALID) {
  test(`rejects ${name}`, () => {
    assert.throws(
      () => planTorNetwork(input),
      (e: Error & { code?: string }) => e.code === 'ERR_INVALID_VALUE' && err.test(e.message),
    );
  });
}
