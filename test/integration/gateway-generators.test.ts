// Every generated torrc passes `tor --verify-config` and every generated ruleset passes `nft -c` (sealed, no network).
// A torrc of the public profile is only ever parsed, never run: `tor --verify-config` inside a network
// namespace made for the run with nothing but a down `lo` and no route, proven before each use.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { run } from '../../src/exec/index.js';
import {
  generateTorrc,
  gatewayRuleset,
  hashControlPassword,
  lockdownRuleset,
  newControlPassword,
  workstationRuleset,
  type GatewayInput,
} from '../../src/gateway/index.js';

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
    workstations: Array.from({ length: n }, (_, k) => ({
      name: `anon-${k}`,
      ifname: `${RUN}w${k}`.slice(0, 15),
      gatewayAddr: '10.152.152.10',
      workstationAddr: '10.152.152.11',
      slot: k,
    })),
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

const PLAIN = `10.99.0.8:9001 ${FP2}`;
const PLAIN6 = '[2001:db8::8]:443';
const BRIDGE6 = `obfs4 [2001:db8::9]:9443 ${FP} cert=ssH+9rP8dG2NLDN2XuFw63hIO/9MNNinLmxQDpVa+7kTOa9/m+tGWT1SmSYpQ9uTBGa6Hw iat-mode=2`;

/** The sealed namespace of this run: created here, removed after (also when a test fails). */
const SEALED = `${RUN}-verify`;
before(async () => {
  await run('ip', ['netns', 'del', SEALED], { allowFail: true });
  await run('ip', ['netns', 'add', SEALED]);
});
after(async () => {
  await run('ip', ['netns', 'del', SEALED], { allowFail: true });
});

/** Prove the namespace is sealed: its only link is lo (down), and it has no route at all, IPv4 or IPv6. */
async function assertSealed(ns = SEALED): Promise<void> {
  const links = (await run('ip', ['-n', ns, '-o', 'link', 'show'])).stdout
    .trim()
    .split('\n')
    .map((l) => l.split(':')[1]?.trim());
  assert.deepEqual(links, ['lo'], `links in ${ns}: ${links.join(', ')}`);
  const up = (await run('ip', ['-n', ns, '-o', 'link', 'show', 'up'])).stdout.trim();
  assert.equal(up, '', 'lo is down: not even loopback works');
  for (const fam of ['-4', '-6']) {
    const routes = (await run('ip', ['-n', ns, fam, 'route', 'show', 'table', 'all'])).stdout.trim();
    assert.equal(routes, '', `${fam} routes in ${ns}: ${routes}`);
  }
}

/** `tor --verify-config` in the sealed namespace (parses and exits; it opens no connection). */
async function verifyConfig(file: string) {
  await assertSealed();
  return run('ip', ['netns', 'exec', SEALED, 'tor', '--verify-config', '-f', file, '--defaults-torrc', empty], { allowFail: true, timeoutMs: 30_000 });
}

const TORRCS: [string, GatewayInput][] = [
  ['lab-1', input('lab-1', 1)],
  ['lab-3', input('lab-3', 3)],
  ['lab-bridges', input('lab-bridges', 1, { bridges: [BRIDGE] })],
  ['lab-socket-user', input('lab-socket-user', 2, { control: { socketPath: join(dir, 'control.sock') }, user: 'debian-tor', owningPid: process.pid })],
  ['public-1', input('public-1', 1, { network: 'public', dirAuthorities: [] })],
  ['public-3-bridges', input('public-3-bridges', 3, { network: 'public', dirAuthorities: [], bridges: [BRIDGE] })],
  ['public-bridges-mixed', input('public-bridges-mixed', 2, { network: 'public', dirAuthorities: [], bridges: [BRIDGE, BRIDGE6, PLAIN, PLAIN6] })],
  ['public-bridges-plain', input('public-bridges-plain', 1, { network: 'public', dirAuthorities: [], bridges: [PLAIN, PLAIN6] })],
  ['lab-bridges-plain', input('lab-bridges-plain', 1, { bridges: [PLAIN] })],
];

test('the namespace the torrcs are checked in is sealed, and the check sees that (the proof can fail)', async () => {
  await assertSealed();
  // A namespace of its own with loopback up (routes) and then a veth pair (inside it): the proof must refuse both.
  const other = `${RUN}-vneg`;
  await run('ip', ['netns', 'add', other]);
  try {
    await assertSealed(other);
    await run('ip', ['-n', other, 'link', 'set', 'lo', 'up']);
    await assert.rejects(assertSealed(other), /routes in|lo is down/);
    await run('ip', ['-n', other, 'link', 'set', 'lo', 'down']);
    await run('ip', ['-n', other, 'link', 'add', `${RUN}a`.slice(0, 15), 'type', 'veth', 'peer', 'name', `${RUN}b`.slice(0, 15)]);
    await assert.rejects(assertSealed(other), /links in/);
  } finally {
    await run('ip', ['netns', 'del', other], { allowFail: true });
  }
});

for (const [name, inp] of TORRCS) {
  test(`tor --verify-config accepts torrc ${name}`, async () => {
    const f = join(dir, `torrc-${name}`);
    const text = generateTorrc(inp);
    writeFileSync(f, text);
    // The profile is what the name says: the public one names no authority and no Testing option.
    if (inp.network === 'public') assert.ok(!/DirAuthority|Testing/.test(text), name);
    else assert.match(text, /^TestingTorNetwork 1$/m);
    assert.equal(/^UseBridges 1$/m.test(text), (inp.bridges ?? []).length > 0, name);
    // In the sealed namespace: even a mistaken start could reach nothing.
    const r = await verifyConfig(f);
    assert.equal(
      r.code,
      0,
      `${name}: ${r.stdout
        .split('\n')
        .filter((l) => /\[(warn|err)\]/.test(l))
        .join('\n')}`,
    );
    assert.match(r.stdout, /Configuration was valid/);
    // tor warns of nothing but what is expected: root (this check runs as root; a gateway's tor never does)
    // and, in the lab profile only, its own authorities and the Testing network.
    const expected = [/running Tor as root/, ...(inp.network === 'lab' ? [/used DirAuthority or AlternateDirAuthority/, /TestingTorNetwork is set/] : [])];
    const warns = r.stdout.split('\n').filter((l) => /\[(warn|err)\]/.test(l) && !expected.some((e) => e.test(l)));
    assert.deepEqual(warns, [], `${name}: tor warned`);
  });
}

test('tor --verify-config rejects a broken torrc (the check can fail)', async () => {
  const f = join(dir, 'torrc-broken');
  writeFileSync(f, generateTorrc(input('broken', 1)) + 'TransPort 10.152.152.10:70000\n');
  const r = await verifyConfig(f);
  assert.notEqual(r.code, 0);
});

const RULESETS: [string, string][] = [
  ['gateway-1', gatewayRuleset(input('g1', 1))],
  ['gateway-3', gatewayRuleset(input('g3', 3))],
  ['lockdown', lockdownRuleset(`${RUN}_lock`)],
  ['workstation', workstationRuleset({ ifname: 'eth0', gatewayAddr: '10.152.152.10', workstationAddr: '10.152.152.11', tableName: `${RUN}_ws` })],
  [
    'workstation-socks-only',
    workstationRuleset({ ifname: 'eth0', gatewayAddr: '10.152.152.10', workstationAddr: '10.152.152.11', transparentProxy: false, tableName: `${RUN}_ws` }),
  ],
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
