// The sealed lab world for real: namespaces, web and DNS hosts, a client on an uplink, the structural sealing check, and a clean lab down.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../../src/exec/index.js';
import { labStatusText } from '../../src/cli/verbs/lab.js';
import { labAttachHost, labAttachUplink, labCheckSealed, labDown, labStatus, labUp, readLabState, type LabUplink } from '../../src/lab/index.js';
import { linkDelete, netnsAdd, netnsDelete, netnsExec, netnsList, writeNetnsResolvConf } from '../../src/net/index.js';

/** The lab verb's contract without a daemon: the lab's functions, the CLI's text, exit 1 when down. */
async function labCommand(action: 'up' | 'down' | 'status', o: { json: boolean; home: string; prefix: string }): Promise<{ stdout: string; exitCode: number }> {
  const d = join(o.home, 'lab');
  if (action === 'down') {
    const r = await labDown(o.prefix, d);
    return {
      stdout: o.json
        ? JSON.stringify({ up: false, ...r }) + '\n'
        : `lab down: ${r.stopped.length} process(es) stopped, ${r.namespaces.length} namespace(s) removed\n`,
      exitCode: 0,
    };
  }
  const st = action === 'up' ? await labUp(o.prefix, d) : await labStatus(o.prefix, d);
  return { stdout: o.json ? JSON.stringify(st, null, 2) + '\n' : labStatusText(st), exitCode: st.up ? 0 : 1 };
}

const P = `${process.env.BULKHEAD_TEST_RUN ?? `bht${randomBytes(2).toString('hex')}`}-lab`;
const CLIENT = `${P}-client`;
/** The deliberate leak of the negative test: a host interface named with the prefix (interface names are 15 bytes). */
const LEAK_IF = P.length <= 13 ? `${P}lk` : `bhleak${randomBytes(2).toString('hex')}`;
let home = '';
let dir = '';
let uplink: LabUplink | undefined;
let recordedPids: number[] = [];

const pidAlive = async (pid: number): Promise<boolean> =>
  stat(`/proc/${pid}`).then(
    () => true,
    () => false,
  );

async function curl(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await netnsExec(CLIENT, 'curl', ['-sS', '--max-time', '5', ...args], { allowFail: true, timeoutMs: 15_000 });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

/** Query the lab resolver from the client namespace (one process for all): A/AAAA records, or the error code (ENOTFOUND = NXDOMAIN). */
async function resolveAll(queries: [string, 'A' | 'AAAA'][]): Promise<(string[] | string)[]> {
  const script = `const r=new (require('node:dns').promises.Resolver)({timeout:2000,tries:1});r.setServers(['192.0.2.53']);
Promise.all(JSON.parse(process.argv[1]).map(([n,t])=>r.resolve(n,t).then(a=>a,e=>e.code))).then(x=>console.log(JSON.stringify(x)))`;
  const r = await netnsExec(CLIENT, process.execPath, ['-e', script, JSON.stringify(queries)], { timeoutMs: 15_000 });
  return JSON.parse(r.stdout) as (string[] | string)[];
}

before(async () => {
  home = await mkdtemp('/tmp/bulkhead-lab-test-');
  dir = join(home, 'lab');
});

after(async () => {
  await run('ip', ['link', 'delete', LEAK_IF], { allowFail: true });
  await labDown(P, dir).catch(() => {});
  await netnsDelete([CLIENT]).catch(() => {});
  for (const pid of recordedPids) if (await pidAlive(pid)) process.kill(pid, 'SIGKILL');
  await rm(home, { recursive: true, force: true });
  assert.deepEqual(await netnsList(P), [], 'no namespace of the prefix is left');
});

test('lab up builds the world in well under 2 s and status lists every host', async (t) => {
  const t0 = Date.now();
  const up = await labCommand('up', { json: true, home, prefix: P });
  const ms = Date.now() - t0;
  assert.equal(up.exitCode, 0, up.stdout);
  assert.ok(ms < 2000, `lab up took ${ms} ms`);
  const st = await labCommand('status', { json: true, home, prefix: P });
  assert.equal(st.exitCode, 0);
  const json = JSON.parse(st.stdout) as { up: boolean; hosts: { name: string; netns: string; addresses: string[] }[] };
  assert.equal(json.up, true);
  const byName = new Map(json.hosts.map((h) => [h.name, h]));
  assert.deepEqual([...byName.keys()].sort(), ['dns', 'other', 'router', 'web']);
  assert.deepEqual(byName.get('web'), { ...byName.get('web'), netns: `${P}-lab-web`, addresses: ['192.0.2.10'] });
  assert.deepEqual(byName.get('dns')?.addresses, ['192.0.2.53']);
  for (const h of json.hosts) assert.ok((await netnsList(P)).includes(h.netns), h.netns);
  const text = await labCommand('status', { json: false, home, prefix: P });
  assert.match(text.stdout, /^lab up/);
  assert.match(text.stdout, /web\.lab\.test/);
  recordedPids = (await readLabState(dir))?.processes.map((p) => p.pid) ?? [];
  assert.equal(recordedPids.length, 3);
  // lab up again on a running lab changes nothing
  const again = await labUp(P, dir);
  assert.deepEqual(
    (await readLabState(dir))?.processes.map((p) => p.pid),
    recordedPids,
  );
  assert.equal(again.up, true);
  t.diagnostic(`lab up: ${ms} ms`);
});

test('a client on an uplink fetches http://web.lab.test/ by name; the web host sees the uplink address', async (t) => {
  await netnsAdd([CLIENT]);
  const t0 = Date.now();
  uplink = await labAttachUplink(P, dir, CLIENT);
  t.diagnostic(`uplink attach: ${Date.now() - t0} ms`);
  assert.deepEqual(uplink, { netns: CLIENT, ifname: 'eth0', sysNetAddr: '198.51.100.2', gatewayAddr: '198.51.100.1', dns: ['192.0.2.53'] });
  await writeNetnsResolvConf(CLIENT, uplink.dns);
  const page = await curl('http://web.lab.test/');
  assert.equal(page.code, 0, page.err);
  assert.match(page.out, /bulkhead lab/);
  assert.match(page.out, /web\.lab\.test/);
  const ip = await curl('http://web.lab.test/ip');
  assert.equal(ip.out.trim(), '198.51.100.2');
  const other = await curl('http://other.lab.test/');
  assert.match(other.out, /other\.lab\.test/);
  const missing = await curl('-o', '/dev/null', '-w', '%{http_code}', 'http://web.lab.test/nothing-here');
  assert.equal(missing.out, '404');
  const bytes = await curl('-o', '/dev/null', '-w', '%{size_download}', 'http://192.0.2.10/bytes/100000');
  assert.equal(bytes.out, '100000');
  const status = await labStatus(P, dir);
  assert.deepEqual(status.uplinks, [{ netns: CLIENT, ifname: 'eth0', address: '198.51.100.2', gateway: '198.51.100.1' }]);
});

test('HTTPS works with the lab CA and fails without it', async () => {
  const ca = join(dir, 'ca.pem');
  const ok = await curl('--cacert', ca, 'https://web.lab.test/');
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /bulkhead lab/);
  const byIp = await curl('--cacert', ca, 'https://192.0.2.20/ip');
  assert.equal(byIp.code, 0, byIp.err);
  assert.equal(byIp.out.trim(), '198.51.100.2');
  // The system's CA bundle does not know the lab CA: curl's "peer certificate cannot be authenticated" (60).
  const untrusted = await curl('--cacert', '/etc/ssl/certs/ca-certificates.crt', 'https://web.lab.test/');
  assert.equal(untrusted.code, 60, untrusted.err);
});

test('DNS answers lab names and NXDOMAIN for everything else', async () => {
  const table: [string, 'A' | 'AAAA', string[] | string][] = [
    ['web.lab.test', 'A', ['192.0.2.10']],
    ['other.lab.test', 'A', ['192.0.2.20']],
    ['anything.else.lab.test', 'A', ['192.0.2.10']],
    ['example.com', 'A', ['192.0.2.10']],
    ['dns.lab.test', 'A', ['192.0.2.53']],
    ['web.lab.test', 'AAAA', 'ENODATA'],
    ['nonexistent.invalid', 'A', 'ENOTFOUND'],
    ['debian.org', 'A', 'ENOTFOUND'],
    ['torproject.org', 'AAAA', 'ENOTFOUND'],
    ['lab.test.evil', 'A', 'ENOTFOUND'],
  ];
  const got = await resolveAll(table.map(([n, t]) => [n, t]));
  table.forEach(([n, t, want], i) => assert.deepEqual(got[i], want, `${n} ${t}`));
  const getent = await netnsExec(CLIENT, 'getent', ['hosts', 'www.lab.test'], { allowFail: true });
  assert.match(getent.stdout, /^192\.0\.2\.10\s+www\.lab\.test/);
});

test('an attached host in the relay range is reachable through the router', async () => {
  const h = await labAttachHost(P, dir, 'relays', ['203.0.113.11', '203.0.113.12']);
  assert.deepEqual(h, {
    netns: `${P}-lab-relays`,
    ifname: 'eth0',
    addresses: ['203.0.113.11', '203.0.113.12'],
    gatewayAddr: '203.0.113.1',
    dns: ['192.0.2.53'],
  });
  const srv = await netnsExec(
    h.netns,
    'curl',
    ['-sS', '--max-time', '5', '--cacert', join(dir, 'ca.pem'), 'https://web.lab.test/ip', '--resolve', 'web.lab.test:443:192.0.2.10'],
    { allowFail: true },
  );
  assert.equal(srv.stdout.trim(), '203.0.113.11', srv.stderr);
  // Nothing listens on the relay addresses: a refusal (not a timeout) proves the route both ways.
  const refused = await curl('http://203.0.113.12:9/');
  assert.equal(refused.code, 7, refused.err);
  await assert.rejects(labAttachHost(P, dir, 'bad', ['192.0.2.99']), /203\.0\.113\.0\/24/);
  await assert.rejects(labAttachUplink(P, dir, 'not-ours-ns'), /prefix/);
});

test('the lab is sealed, structurally', async (t) => {
  const t0 = Date.now();
  const r = await labCheckSealed(P);
  t.diagnostic(`sealing check: ${Date.now() - t0} ms, ${r.checkedLinks} links, ${r.checkedRoutes} routes`);
  assert.deepEqual(r.violations, []);
  assert.equal(r.sealed, true);
  assert.deepEqual(r.namespaces, [CLIENT, `${P}-lab-dns`, `${P}-lab-other`, `${P}-lab-relays`, `${P}-lab-router`, `${P}-lab-web`].sort());
  // lo in each of 6 namespaces, 4 router links + 1 uplink + 1 attached, each with its peer
  assert.equal(r.checkedLinks, 6 + 2 * 5);
  assert.ok(r.checkedRoutes > 0);
});

test('the check fails when a veth leads into the host namespace', async () => {
  try {
    await run('ip', ['link', 'add', LEAK_IF, 'type', 'veth', 'peer', 'name', 'leak0', 'netns', CLIENT]);
    const r = await labCheckSealed(P);
    assert.equal(r.sealed, false);
    assert.ok(
      r.violations.some((v) => v.includes(`namespace ${CLIENT}: veth leak0 has its peer in an unnamed namespace`)),
      JSON.stringify(r.violations),
    );
    assert.ok(
      r.violations.some((v) => v.includes(`host namespace: veth ${LEAK_IF} leads into ${CLIENT}`)),
      JSON.stringify(r.violations),
    );
    if (LEAK_IF.startsWith(P)) assert.ok(r.violations.some((v) => v.includes(`interface ${LEAK_IF} carries the prefix`)));
  } finally {
    await run('ip', ['link', 'delete', LEAK_IF], { allowFail: true });
  }
  assert.equal((await labCheckSealed(P)).sealed, true, 'sealed again once the leak is gone');
});

test('the check fails for a route through a link that is not a sealed veth', async () => {
  const ns = `${P}-client`;
  try {
    await run('ip', ['-n', ns, 'link', 'add', 'pair0', 'type', 'veth', 'peer', 'name', 'pair1']);
    await run('ip', ['-n', ns, 'link', 'set', 'pair0', 'up']);
    await run('ip', ['-n', ns, 'route', 'add', '203.0.113.200/32', 'dev', 'pair0']);
    const r = await labCheckSealed(P);
    assert.equal(r.sealed, false);
    assert.ok(r.violations.some((v) => /veth pair0 has its peer in the same namespace/.test(v)));
    assert.ok(
      r.violations.some((v) => /route 203\.0\.113\.200 .*pair0, which is not a sealed link/.test(v)),
      JSON.stringify(r.violations),
    );
  } finally {
    await linkDelete(ns, 'pair0');
  }
});

test('a dead server shows in status, and lab up rebuilds the lab', async () => {
  const state = await readLabState(dir);
  const web = state?.processes.find((p) => p.name === 'web');
  assert.ok(web);
  process.kill(web.pid, 'SIGKILL');
  for (let i = 0; i < 100 && (await pidAlive(web.pid)); i++) await new Promise((r) => setTimeout(r, 10));
  const st = await labCommand('status', { json: true, home, prefix: P });
  assert.equal(st.exitCode, 1);
  assert.match(st.stdout, /web server \(pid \d+\) is not running/);
  const up = await labUp(P, dir);
  assert.equal(up.up, true);
  recordedPids = (await readLabState(dir))?.processes.map((p) => p.pid) ?? [];
  // The rebuild removed the old router, so the client's uplink went with it: re-attach.
  uplink = await labAttachUplink(P, dir, CLIENT);
  const page = await curl('http://web.lab.test/');
  assert.match(page.out, /bulkhead lab/);
});

test('lab down removes every namespace, process and file of the lab', async () => {
  const pids = [...recordedPids];
  assert.equal(pids.length, 3);
  const down = await labCommand('down', { json: false, home, prefix: P });
  assert.equal(down.exitCode, 0);
  for (const pid of pids) assert.equal(await pidAlive(pid), false, `pid ${pid} gone`);
  assert.deepEqual(await netnsList(`${P}-lab`), []);
  await assert.rejects(readdir(dir), /ENOENT/, 'state directory removed');
  const links = await run('ip', ['-n', CLIENT, '-j', 'link']);
  assert.deepEqual(
    (JSON.parse(links.stdout) as { ifname: string }[]).map((l) => l.ifname),
    ['lo'],
    'the uplink went with the router',
  );
  const st = await labCommand('status', { json: true, home, prefix: P });
  assert.equal(st.exitCode, 1);
  assert.equal((JSON.parse(st.stdout) as { up: boolean }).up, false);
  await netnsDelete([CLIENT]);
  await assert.rejects(stat(`/etc/netns/${CLIENT}`), /ENOENT/);
  assert.deepEqual(await netnsList(P), []);
  const host = await run('ip', ['-j', 'link']);
  assert.ok(!(JSON.parse(host.stdout) as { ifname: string }[]).some((l) => l.ifname.startsWith(P)));
});

test('lab up refuses to adopt a namespace that no lab records, and creates nothing', async () => {
  const squatter = `${P}-lab-dns`;
  await netnsAdd([squatter]);
  try {
    await assert.rejects(labUp(P, dir), /exists but no lab records it/);
    assert.deepEqual(await netnsList(P), [squatter]);
    await assert.rejects(readdir(dir), /ENOENT/, 'no state was left behind');
  } finally {
    await netnsDelete([squatter]);
  }
});
