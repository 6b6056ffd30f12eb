// Every generated torrc passes `tor --verify-config` and every generated ruleset passes `nft -c` (sealed, no network).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { run } from '../../src/exec/index.js';
import { generateTorrc, gatewayRuleset, hashControlPassword, lockdownRuleset, newControlPassword, workstationRuleset, type GatewayInput } from '../../src/gateway/index.js';

const RUN = process.env.BULKHEAD_TEST_RUN ?? 'bht' + randomBytes(3).toString('hex');
const dir = mkdtempSync(join(tmpdir(), `${RUN}-gwgen-`));
after(() => rmSync(dir, { recursive: true, force: true }));
// tor started as root with `User` checks the DataDirectory as that user: its parents must be traversable.
chmodSync(dir, 0o711);
const empty = join(dir, 'empty');
writeFileSync(empty, '');

const FP = 'ABCDEF0123456789ABCDEF0123456789ABCDEF01';
const FP2 = '0123456789ABCDEF0123456789ABCDEF01234567';
const AUTHS = [`auth1 orport=5001 v3ident=${FP} 10.99.0.1:7001 ${FP}`, `auth2 orport=5002 v3ident=${FP2} 10.99.0.2:7002 ${FP2}`];
const BRIDGE = `obfs4 10.99.0.9:9443 ${FP} cert=ssH+9rP8dG2NLDN2XuFw63hIO/9MNNinLmxQDpVa+7kTOa9/m+tGWT1SmSYpQ9uTBGa6Hw iat-mode=0`;

function input(name: string, n: number, extra: Partial<GatewayInput> = {}): GatewayInput {
  return {
    network: 'lab',
    workstations: Array.from({ length: n }, (_, k) => ({ name: `anon-${k}`, ifname: `${RUN}w${k}`.slice(0, 15), gatewayAddr: '10.152.152.10', workstationAddr: '10.152.152.11', slot: k })),
    dirAuthorities: AUTHS,
    controlPasswordHash: hashControlPassword(newControlPassword()),
    dataDir: join(dir, `data-${name}`),
    torUid: 101,
    uplink: `${RUN}up`.slice(0, 15),
    geoipFile: empty,
    tableName: `${RUN}_gw`,
    ...extra,
  };
}

const TORRCS: [string, GatewayInput][] = [
  ['lab-1', input('lab-1', 1)],
  ['lab-3', input('lab-3', 3)],
  ['lab-bridges', input('lab-bridges', 1, { bridges: [BRIDGE] })],
  ['lab-socket-user', input('lab-socket-user', 2, { control: { socketPath: join(dir, 'control.sock') }, user: 'debian-tor', owningPid: process.pid })],
  ['public-1', input('public-1', 1, { network: 'public', dirAuthorities: [] })],
  ['public-3-bridges', input('public-3-bridges', 3, { network: 'public', dirAuthorities: [], bridges: [BRIDGE] })],
];

for (const [name, inp] of TORRCS) {
  test(`tor --verify-config accepts torrc ${name}`, async () => {
    const f = join(dir, `torrc-${name}`);
    writeFileSync(f, generateTorrc(inp));
    // In a fresh network namespace with no interface up: even a mistaken start could reach nothing.
    const r = await run('unshare', ['-n', '--', 'tor', '--verify-config', '-f', f, '--defaults-torrc', empty], { allowFail: true, timeoutMs: 30_000 });
    assert.equal(r.code, 0, `${name}: ${r.stdout.split('\n').filter((l) => /\[(warn|err)\]/.test(l)).join('\n')}`);
    assert.match(r.stdout, /Configuration was valid/);
  });
}

test('tor --verify-config rejects a broken torrc (the check can fail)', async () => {
  const f = join(dir, 'torrc-broken');
  writeFileSync(f, generateTorrc(input('broken', 1)) + 'TransPort 10.152.152.10:70000\n');
  const r = await run('unshare', ['-n', '--', 'tor', '--verify-config', '-f', f, '--defaults-torrc', empty], { allowFail: true, timeoutMs: 30_000 });
  assert.notEqual(r.code, 0);
});

const RULESETS: [string, string][] = [
  ['gateway-1', gatewayRuleset(input('g1', 1))],
  ['gateway-3', gatewayRuleset(input('g3', 3))],
  ['lockdown', lockdownRuleset(`${RUN}_lock`)],
  ['workstation', workstationRuleset({ ifname: 'eth0', gatewayAddr: '10.152.152.10', workstationAddr: '10.152.152.11', tableName: `${RUN}_ws` })],
  ['workstation-socks-only', workstationRuleset({ ifname: 'eth0', gatewayAddr: '10.152.152.10', workstationAddr: '10.152.152.11', transparentProxy: false, tableName: `${RUN}_ws` })],
];

for (const [name, text] of RULESETS) {
  test(`nft -c accepts ruleset ${name}`, async () => {
    const f = join(dir, `${name}.nft`);
    writeFileSync(f, text);
    // nft -c runs the transaction in check mode; in a throw-away namespace nothing could stay behind anyway.
    const r = await run('unshare', ['-n', '--', 'nft', '-c', '-f', f], { allowFail: true, timeoutMs: 30_000 });
    assert.equal(r.code, 0, `${name}: ${r.stderr}`);
  });
}

test('nft -c rejects a broken ruleset (the check can fail)', async () => {
  const f = join(dir, 'broken.nft');
  writeFileSync(f, gatewayRuleset(input('gb', 1)).replace('counter name drop_forward drop', 'counter name no_such_counter drop'));
  const r = await run('unshare', ['-n', '--', 'nft', '-c', '-f', f], { allowFail: true, timeoutMs: 30_000 });
  assert.notEqual(r.code, 0);
});
