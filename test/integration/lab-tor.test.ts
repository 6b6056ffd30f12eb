// The lab's private Tor network, for real: 3 authorities, relays, an obfs4 bridge and an onion service in a sealed namespace.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { run } from '../../src/exec/index.js';
import {
  createTorSandbox,
  parseCircuitStatus,
  parseFingerprint,
  startLabClient,
  startTorNetwork,
  ONION_PAGE,
  WEB_NAME,
  WEB_PAGE,
  type LabClient,
  type TorNetwork,
  type TorSandbox,
} from '../../src/lab/tor/index.js';

const prefix = `${process.env.BULKHEAD_TEST_RUN ?? `bht${randomBytes(2).toString('hex')}`}tor`;
let sandbox: TorSandbox | undefined;
let network: TorNetwork | undefined;
let stateDir: string | undefined;
const clients: LabClient[] = [];
let singleNet: TorNetwork | undefined;

async function fetchVia(socksPort: number, url: string, attempts = 1): Promise<{ body: string; headers: string; ms: number }> {
  let last = '';
  for (let i = 0; i < attempts; i++) {
    const t0 = Date.now();
    const r = await run('ip', ['netns', 'exec', sandbox!.netns, 'curl', '-sS', '-i', '--max-time', '30', '--socks5-hostname', `127.0.0.1:${socksPort}`, url], {
      allowFail: true,
      timeoutMs: 40_000,
    });
    if (r.code === 0) {
      const [headers = '', body = ''] = r.stdout.split('\r\n\r\n');
      return { body, headers, ms: Date.now() - t0 };
    }
    last = r.stderr.trim();
    await new Promise((res) => setTimeout(res, 1000));
  }
  throw new Error(`fetch ${url} via ${socksPort} failed: ${last}`);
}

/** First hops of all built circuits, as fingerprints. */
async function firstHops(c: LabClient): Promise<string[]> {
  const circuits = parseCircuitStatus(await c.control.getinfoOne('circuit-status'));
  return circuits.filter((x) => x.status === 'BUILT').map((x) => x.path[0]?.fingerprint ?? '');
}

before(async () => {
  stateDir = await mkdtemp(`/tmp/${prefix}-`);
  sandbox = await createTorSandbox({ netns: `${prefix}-ns` });
});

const singleNs = `${prefix}-single`;

after(async () => {
  for (const c of clients) await c.stop().catch(() => {});
  await singleNet?.stop().catch(() => {});
  await run('ip', ['netns', 'del', singleNs], { allowFail: true });
  await network?.stop().catch(() => {});
  await sandbox?.destroy().catch(() => {});
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
  const left = (await run('ip', ['netns', 'list'])).stdout;
  assert.doesNotMatch(left, new RegExp(`${prefix}-(ns|single)`), 'namespaces removed');
});

test('the namespace is sealed: only lo, no route out', async () => {
  const { links, routes } = await sandbox!.checkSealed();
  assert.deepEqual(links, ['lo']);
  assert.ok(routes.every((r) => !r.startsWith('default')));
});

test('lab tor network comes up phased; clients fetch a lab page, the onion page, and through the obfs4 bridge', async (t) => {
  const sb = sandbox!;
  const t0 = Date.now();
  network = await startTorNetwork({ prefix, stateDir: `${stateDir}/lab`, netns: sb.netns, addresses: sb.addresses, dnsResolverAddr: sb.dnsAddr });
  const net = network;

  // Shape: 3 authorities, 2 relays, a bridge; then the onion host after waitReady.
  assert.equal(net.dirAuthorityLines.length, 3);
  for (const l of net.dirAuthorityLines) assert.match(l, /^DirAuthority auth\d orport=\d+ v3ident=[0-9A-F]{40} 10\.77\.0\.\d+:\d+ [0-9A-F]{40}$/);
  assert.match(net.bridgeLine, new RegExp(`^obfs4 ${sb.addresses.bridge}:\\d+ [0-9A-F]{40} cert=\\S+ iat-mode=0$`));
  assert.match(net.onionAddress, /^[a-z2-7]{56}\.onion$/);
  assert.deepEqual(
    net.nodes.map((n) => n.role),
    ['authority', 'authority', 'authority', 'relay', 'relay', 'bridge'],
  );

  // Every generated torrc is accepted by tor itself.
  for (const n of net.plan.nodes) {
    const r = await run('ip', ['netns', 'exec', sb.netns, 'tor', '--verify-config', '--defaults-torrc', net.plan.emptyFile, '-f', n.torrcPath], {
      allowFail: true,
    });
    assert.equal(r.code, 0, `${n.nick} torrc rejected: ${r.stdout.slice(-400)}`);
  }

  const timings = await net.waitReady();
  // The identities made ahead of time are the ones tor uses.
  for (const n of net.nodes.filter((x) => x.role !== 'onion')) {
    assert.equal(parseFingerprint(await readFile(`${n.dataDir}/fingerprint`, 'utf8'), n.nick), n.fingerprint, `${n.nick} fingerprint`);
  }
  assert.ok(net.nodes.some((n) => n.role === 'onion' && n.pid > 0));
  const nsIno = (await stat(`/run/netns/${sb.netns}`)).ino;
  for (const n of net.nodes) {
    assert.equal((await readFile(`/proc/${n.pid}/comm`, 'utf8')).trim(), 'tor', `${n.nick} PID ${n.pid} is tor`);
    assert.equal((await stat(`/proc/${n.pid}/ns/net`)).ino, nsIno, `${n.nick} runs in the lab namespace`);
    assert.ok((await readFile(`/proc/${n.pid}/environ`, 'latin1')).split('\0').includes('MALLOC_ARENA_MAX=1'));
    assert.match(await readFile(`/proc/${n.pid}/cmdline`, 'latin1'), /--defaults-torrc\0[^\0]+\/empty\0-f\0/);
  }

  const client = await startLabClient({
    netns: sb.netns,
    dataDir: `${stateDir}/client1`,
    nick: 'client1',
    dirAuthorityLines: net.dirAuthorityLines,
    socksPort: 6050,
    controlPort: 6051,
  });
  clients.push(client);
  const web = await fetchVia(client.socksPort, `http://${WEB_NAME}/`);
  assert.equal(web.body.trim(), WEB_PAGE);
  // The control port shows circuits through lab relays only.
  const labFps = new Set(net.relayFingerprints);
  const built = parseCircuitStatus(await client.control.getinfoOne('circuit-status')).filter((c) => c.status === 'BUILT');
  assert.ok(built.length > 0 && built.every((c) => c.path.every((h) => labFps.has(h.fingerprint))), 'circuits use lab relays');
  // The web host saw one of the exits (all relays are exits), never the client directly.
  const seen = /x-client-address: (\S+)/i.exec(web.headers)?.[1];
  assert.ok([...sb.addresses.authorities, ...sb.addresses.relays].includes(seen ?? ''), `web host saw ${seen}`);
  const tOnion = Date.now();
  const onion = await fetchVia(client.socksPort, `http://${net.onionAddress}/`, 5);
  const onionFetchMs = Date.now() - tOnion;
  assert.equal(onion.body.trim(), ONION_PAGE);

  // A name the lab resolver does not know is not resolved anywhere else.
  await assert.rejects(fetchVia(client.socksPort, 'http://example.com/'));

  // Second client: only through the obfs4 bridge.
  const bridged = await startLabClient({
    netns: sb.netns,
    dataDir: `${stateDir}/client2`,
    nick: 'client2',
    dirAuthorityLines: net.dirAuthorityLines,
    socksPort: 6060,
    controlPort: 6061,
    bridgeLine: net.bridgeLine,
  });
  clients.push(bridged);
  const viaBridge = await fetchVia(bridged.socksPort, `http://${WEB_NAME}/`);
  assert.equal(viaBridge.body.trim(), WEB_PAGE);
  const bridgeFp = net.nodes.find((n) => n.role === 'bridge')?.fingerprint;
  const hops = await firstHops(bridged);
  assert.ok(hops.length > 0, 'bridged client has built circuits');
  assert.ok(
    hops.every((h) => h === bridgeFp),
    `every circuit starts at the bridge: ${hops.join(',')}`,
  );
  const obfs = await run('ip', [
    'netns',
    'exec',
    sb.netns,
    'ss',
    '-Htn',
    'state',
    'established',
    `dst ${sb.addresses.bridge}:${net.plan.nodes.find((n) => n.role === 'bridge')?.obfs4Port}`,
  ]);
  assert.ok(obfs.stdout.trim().length > 0, 'a connection to the obfs4 port is established');

  const mem = await net.memory();
  assert.ok(mem.torTotalKb > 0 && mem.torTotalKb < 600 * 1024, `lab tor memory ${mem.torTotalKb} kB`);
  const report = {
    launchedMs: timings.launchedMs,
    networkReadyMs: timings.networkReadyMs,
    onionPublishedMs: timings.onionPublishedMs,
    nudged: timings.nudgedNodes,
    clientBootstrapMs: client.bootstrapMs,
    firstWebFetchMs: web.ms,
    firstOnionFetchMs: onionFetchMs,
    bridgeClientBootstrapMs: bridged.bootstrapMs,
    totalMs: Date.now() - t0,
    torRssMb: Math.round(mem.torTotalKb / 1024),
    helpersRssMb: Math.round(mem.helpersKb / 1024),
    loadavg: (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' '),
    perNodeMb: Object.fromEntries(Object.entries(mem.perNode).map(([k, v]) => [k, Math.round(v / 1024)])),
  };
  t.diagnostic(JSON.stringify(report));
});

test('stop() ends exactly the network processes', async (t) => {
  const net = network!;
  const pids = net.nodes.map((n) => n.pid);
  const t0 = Date.now();
  await net.stop();
  t.diagnostic(`stop took ${Date.now() - t0} ms; killed after the SIGTERM timeout: ${net.forcedKills.join(',') || 'none'}`);
  for (const pid of pids) assert.throws(() => process.kill(pid, 0), `PID ${pid} gone`);
});

test('single-address mode: every node on 127.0.0.1 of a namespace with only lo; the onion page is reachable', async () => {
  await run('ip', ['netns', 'add', singleNs]);
  await run('ip', ['-n', singleNs, 'link', 'set', 'lo', 'up']);
  singleNet = await startTorNetwork({
    prefix,
    stateDir: `${stateDir}/single`,
    netns: singleNs,
    addresses: { single: '127.0.0.1' },
    dnsResolverAddr: '127.0.0.1',
    basePort: 7100,
  });
  await singleNet.waitReady();
  assert.ok(singleNet.nodes.every((n) => n.address === '127.0.0.1'));
  const c = await startLabClient({
    netns: singleNs,
    dataDir: `${stateDir}/single-client`,
    nick: 'client3',
    dirAuthorityLines: singleNet.dirAuthorityLines,
    socksPort: 7050,
    controlPort: 7051,
  });
  clients.push(c);
  let body = '';
  for (let i = 0; i < 5 && body !== ONION_PAGE; i++) {
    const r = await run(
      'ip',
      ['netns', 'exec', singleNs, 'curl', '-sS', '--max-time', '20', '--socks5-hostname', `127.0.0.1:${c.socksPort}`, `http://${singleNet.onionAddress}/`],
      { allowFail: true, timeoutMs: 30_000 },
    );
    body = r.stdout.trim();
  }
  assert.equal(body, ONION_PAGE);
  await c.stop();
  await singleNet.stop();
});
