// Real tor (sealed namespace, fake lab authorities) binds exactly the planned listeners; the filter proxies to it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, chmodSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { run } from '../../src/exec/index.js';
import { generateTorrc, hashControlPassword, newControlPassword, planGateway, type GatewayInput } from '../../src/gateway/index.js';
import { startControlFilter, loadProfile } from '../../src/control-filter/index.js';
import { ReplyParser, replyText, TorControl, type ControlTarget } from '../../src/tor-control/index.js';
import { connect } from 'node:net';

const RUN = process.env.BULKHEAD_TEST_RUN ?? 'bht' + randomBytes(3).toString('hex');
const NS = `${RUN}-gwtor`;
const dir = mkdtempSync(join(tmpdir(), `${RUN}-gwtor-`));
chmodSync(dir, 0o711);
let tor: ChildProcess | undefined;
after(async () => {
  if (tor?.pid && tor.exitCode === null) {
    tor.kill('SIGKILL');
    await new Promise((r) => tor!.once('exit', r));
  }
  await run('ip', ['netns', 'del', NS], { allowFail: true });
  rmSync(dir, { recursive: true, force: true });
});

const FP = 'ABCDEF0123456789ABCDEF0123456789ABCDEF01';
const password = newControlPassword();
// tor refuses a control socket in a directory others can read.
mkdirSync(join(dir, 'ctl'), { mode: 0o700 });
const empty = join(dir, 'empty');
writeFileSync(empty, '');
const input: GatewayInput = {
  network: 'lab',
  // Slots 3 and 0: listener blocks follow the qube's kept slot, not its place in the list.
  workstations: [3, 0].map((k) => ({
    name: `anon-${k}`,
    ifname: `${RUN}w${k}`.slice(0, 15),
    gatewayAddr: '10.152.152.10',
    workstationAddr: '10.152.152.11',
    slot: k,
  })),
  dirAuthorities: [`auth1 orport=5001 v3ident=${FP} 10.99.0.1:7001 ${FP}`],
  dataDir: join(dir, 'data'),
  control: { socketPath: join(dir, 'ctl', 'control.sock') },
  owningPid: process.pid,
  controlPasswordHash: hashControlPassword(password),
  torUid: 0,
  uplink: `${RUN}up`.slice(0, 15),
  geoipFile: empty,
};

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('tor binds every planned listener; the filter answers through it', async () => {
  // A namespace with only loopback carrying the gateway address: no route anywhere.
  await run('ip', ['netns', 'add', NS]);
  await run('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
  await run('ip', ['-n', NS, 'addr', 'add', '10.152.152.10/32', 'dev', 'lo']);
  const links = await run('ip', ['-n', NS, '-o', 'link']);
  assert.equal(links.stdout.trim().split('\n').length, 1, 'only lo in the namespace');
  const routes = await run('ip', ['-n', NS, 'route', 'show', 'table', 'all']);
  assert.doesNotMatch(routes.stdout, /default|via/, 'no route out');

  const torrc = join(dir, 'torrc');
  writeFileSync(torrc, generateTorrc(input));
  tor = spawn('ip', ['netns', 'exec', NS, 'tor', '-f', torrc, '--defaults-torrc', empty], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  tor.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  const plan = planGateway(input);
  await until(() => existsSync(join(dir, 'ctl', 'control.sock')) || tor!.exitCode !== null, 20_000);
  assert.equal(tor.exitCode, null, `tor exited: ${log}`);
  assert.ok(!existsSync(join(input.dataDir, 'control_auth_cookie')), 'tor writes no cookie file');
  // A wrong password is refused by real tor; the admin's is accepted.
  const target: ControlTarget = 'socketPath' in plan.torControl ? { path: plan.torControl.socketPath } : plan.torControl;
  await assert.rejects(TorControl.open({ target, password: newControlPassword() }), /refused the control password/);

  const direct = await TorControl.open({ target, password });
  try {
    for (const [key, kind] of [
      ['socks', 'socks'],
      ['trans', 'trans'],
      ['dns', 'dns'],
    ] as const) {
      const answer = replyText(await direct.command(`GETINFO net/listeners/${key}`));
      const bound = [...answer.matchAll(/"10\.152\.152\.10:(\d+)"/g)].map((m) => Number(m[1])).sort();
      const planned = plan.workstations.flatMap((w) => w.listeners.filter((l) => l.kind === kind).map((l) => l.port)).sort();
      assert.deepEqual(bound, planned, `${key} listeners`);
    }
  } finally {
    direct.close();
  }

  const filter = await startControlFilter({
    listenHost: '127.0.0.1',
    listenPort: 0,
    torControl: plan.torControl,
    password,
    profile: await loadProfile(new URL('../../gateway-profiles/default.json', import.meta.url).pathname),
    socksAddress: '10.152.152.10:9150',
  });
  try {
    const s = connect(filter.address.port, '127.0.0.1');
    s.setEncoding('utf8');
    const waiters: ((r: string) => void)[] = [];
    const parser = new ReplyParser();
    s.on('data', (d: string) => {
      for (const r of parser.push(d)) if (r.status !== 650) waiters.shift()?.(replyText(r));
    });
    const ask = (l: string) =>
      new Promise<string>((res) => {
        waiters.push(res);
        s.write(l + '\r\n');
      });
    assert.match(await ask('PROTOCOLINFO 1'), /^250-PROTOCOLINFO 1\r\n250-AUTH METHODS=NULL\r\n250-VERSION Tor="0\.4\./);
    assert.match(await ask('GETINFO version'), /^250-version=0\.4\.\S+/);
    assert.equal(await ask('GETINFO net/listeners/socks'), '250-net/listeners/socks="10.152.152.10:9150"\r\n250 OK\r\n');
    assert.equal(await ask('GETINFO status/circuit-established'), '250-status/circuit-established=0\r\n250 OK\r\n');
    assert.equal(await ask('GETINFO address'), '510 Command filtered\r\n');
    assert.equal(await ask('SETCONF SocksPort=0.0.0.0:9050'), '510 Command filtered\r\n');
    assert.equal(await ask('SIGNAL NEWNYM'), '250 OK\r\n');
    s.destroy();
  } finally {
    await filter.close();
  }
});
