// The per-qube firewall on real nftables: throwaway netvm, client qubes and a server in namespaces.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { run } from '../../src/exec/index.js';
import { BulkheadError } from '../../src/errors/index.js';
import { compileQubeChain, parseRule } from '../../src/firewall/index.js';
import {
  applyQubeFirewall,
  applyRuleset,
  attachQubeFirewall,
  attachQubeFirewalls,
  detachQubeFirewall,
  loadFirewallBase,
  readCounter,
  type QubeLinkFirewall,
} from '../../src/net/nft.js';

const P = `${process.env.BULKHEAD_TEST_RUN ?? 'bht' + randomBytes(3).toString('hex')}-fw`;
const NS = { netvm: `${P}-netvm`, client: `${P}-client`, client2: `${P}-client2`, server: `${P}-server` };
const TABLE = 'bhfwtest';
/**
 * An ICMP error that arrives while connect() still holds the socket lock is only recorded as a
 * soft error; the SYN retransmitted after 1 s then gets the hard error. Wait long enough for it.
 */
const REJECT_WAIT = 2.5;
const now = () => Math.floor(Date.now() / 1000);
const children: ChildProcess[] = [];
const created: string[] = [];

const client: QubeLinkFirewall = {
  qubeName: 'work',
  qubeIPv4: '10.137.5.2',
  qubeIPv6: 'fd00:5::2',
  ifname: 'vif-work',
  dnsServers: { virtual: ['10.139.1.1', '10.139.1.2'] },
};
const client2: QubeLinkFirewall = {
  qubeName: 'personal',
  qubeIPv4: '10.137.6.2',
  qubeIPv6: null,
  ifname: 'vif-personal',
  dnsServers: { virtual: ['10.139.1.1', '10.139.1.2'] },
};
const RULES = [
  'action=accept dsthost=192.0.2.10 proto=tcp dstports=80',
  'action=drop dsthost=192.0.2.20',
  'action=accept proto=icmp',
  'action=accept dsthost=2001:db8::10 proto=tcp dstports=80',
  'action=drop dsthost=2001:db8::/32',
].map((r) => parseRule(r));

async function ipn(ns: string, ...args: string[]): Promise<void> {
  await run('ip', ['-n', ns, ...args]);
}

/** Echo server on ports 80 and 8080, both families. */
const SERVER = `
import socket, threading
def serve(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(('::', port)); s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=echo, args=(c,), daemon=True).start()
def echo(c):
    try:
        while True:
            d = c.recv(100)
            if not d: break
            c.sendall(d)
    except OSError: pass
    c.close()
def udp(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', port))
    while True:
        d, a = s.recvfrom(512); s.sendto(d, a)
for p in (80, 8080): threading.Thread(target=serve, args=(p,), daemon=True).start()
threading.Thread(target=udp, args=(53,), daemon=True).start()
print('ready', flush=True)
threading.Event().wait()
`;

/** Connects, sends, reads the echo; prints ok, timeout or the errno name. */
const PROBE = `
import socket, sys, errno
host, port, bind, timeout = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
fam = socket.AF_INET6 if ':' in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM); s.settimeout(timeout)
try:
    if bind != '-': s.bind((bind, 0))
    s.connect((host, port)); s.sendall(b'ping')
    print('ok' if s.recv(4) == b'ping' else 'bad')
except socket.timeout: print('timeout')
except OSError as e: print(errno.errorcode.get(e.errno, str(e.errno)))
`;

/** One UDP query on a connected socket (so ICMP errors surface); prints ok, timeout or the errno name. */
const UDP_PROBE = `
import socket, sys, errno
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(float(sys.argv[3]))
try:
    s.connect((sys.argv[1], int(sys.argv[2]))); s.send(b'q'); print('ok' if s.recv(8) == b'q' else 'bad')
except socket.timeout: print('timeout')
except OSError as e: print(errno.errorcode.get(e.errno, str(e.errno)))
`;

/** Holds one connection, echoing every 100 ms; prints each result. */
const HOLDER = `
import socket, sys, time, errno
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)
print('connected', flush=True)
while True:
    try:
        s.sendall(b'x'); d = s.recv(1)
        print('echo' if d == b'x' else 'closed', flush=True)
        if not d: break
    except socket.timeout: print('timeout', flush=True)
    except OSError as e:
        print('error ' + errno.errorcode.get(e.errno, str(e.errno)), flush=True); break
    time.sleep(0.1)
`;

async function probe(ns: string, host: string, port: number, opts: { bind?: string; timeout?: number } = {}): Promise<string> {
  const res = await run('ip', ['netns', 'exec', ns, 'python3', '-c', PROBE, host, String(port), opts.bind ?? '-', String(opts.timeout ?? 0.8)], {
    timeoutMs: 10_000,
  });
  return res.stdout.trim();
}

async function udpProbe(ns: string, host: string, port: number, timeout = 0.8): Promise<string> {
  const res = await run('ip', ['netns', 'exec', ns, 'python3', '-c', UDP_PROBE, host, String(port), String(timeout)], { timeoutMs: 10_000 });
  return res.stdout.trim();
}

function startIn(ns: string, code: string, args: string[] = []): { child: ChildProcess; lines: string[]; waitFor: (re: RegExp, ms: number) => Promise<void> } {
  const child = spawn('ip', ['netns', 'exec', ns, 'python3', '-u', '-c', code, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const lines: string[] = [];
  child.stdout?.setEncoding('utf8').on('data', (d: string) => lines.push(...d.split('\n').filter(Boolean)));
  const waitFor = async (re: RegExp, ms: number) => {
    const until = Date.now() + ms;
    while (!lines.some((l) => re.test(l))) {
      if (Date.now() > until) throw new Error(`no line matching ${re} in ${ms} ms: ${lines.slice(-5).join(' / ')}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  return { child, lines, waitFor };
}

const counter = (name: string) => readCounter(NS.netvm, name, { table: TABLE }).then((c) => c.packets);

before(async () => {
  for (const ns of Object.values(NS)) {
    await run('ip', ['netns', 'add', ns]);
    created.push(ns);
    await ipn(ns, 'link', 'set', 'lo', 'up');
  }
  await run('ip', ['netns', 'exec', NS.netvm, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']);
  // links: client(eth0) <-> netvm(vif-work), client2(eth0) <-> netvm(vif-personal), netvm(up0) <-> server(eth0)
  const links: Array<[string, string, string, string[], string[]]> = [
    [NS.client, 'vif-work', 'eth0', ['10.137.5.1/24', 'fd00:5::1/64'], ['10.137.5.2/24', 'fd00:5::2/64']],
    [NS.client2, 'vif-personal', 'eth0', ['10.137.6.1/24'], ['10.137.6.2/24']],
    [NS.server, 'up0', 'eth0', ['192.0.2.1/24', '2001:db8::1/64'], ['192.0.2.10/24', '192.0.2.20/24', '2001:db8::10/64', '2001:db8::20/64']],
  ];
  for (const [peerNs, netvmIf, peerIf, netvmAddrs, peerAddrs] of links) {
    await ipn(NS.netvm, 'link', 'add', netvmIf, 'type', 'veth', 'peer', 'name', peerIf, 'netns', peerNs);
    for (const a of netvmAddrs) await ipn(NS.netvm, 'addr', 'add', a, 'dev', netvmIf, ...(a.includes(':') ? ['nodad'] : []));
    for (const a of peerAddrs) await ipn(peerNs, 'addr', 'add', a, 'dev', peerIf, ...(a.includes(':') ? ['nodad'] : []));
    await ipn(NS.netvm, 'link', 'set', netvmIf, 'up');
    await ipn(peerNs, 'link', 'set', peerIf, 'up');
    const gw4 = netvmAddrs[0]!.split('/')[0]!;
    await ipn(peerNs, 'route', 'add', 'default', 'via', gw4);
    const gw6 = netvmAddrs[1]?.split('/')[0];
    if (gw6) await ipn(peerNs, '-6', 'route', 'add', 'default', 'via', gw6);
  }
  // IPv6 link-local addresses finish duplicate address detection before traffic is judged
  for (let i = 0; ; i++) {
    const tentative = await Promise.all(Object.values(NS).map((ns) => run('ip', ['-n', ns, '-6', 'addr', 'show', 'tentative'])));
    if (tentative.every((r) => r.stdout.trim() === '')) break;
    assert.ok(i < 60, 'IPv6 addresses still tentative after 3 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  const server = startIn(NS.server, SERVER);
  await server.waitFor(/^ready$/, 5000);
  await loadFirewallBase(NS.netvm, { table: TABLE, dnsServers: client.dnsServers });
  await attachQubeFirewall({ netns: NS.netvm, link: client, rules: RULES, now: now(), table: TABLE });
  await attachQubeFirewall({ netns: NS.netvm, link: client2, rules: [parseRule('action=accept')], now: now(), table: TABLE });
});

after(async () => {
  for (const c of children) if (c.pid !== undefined && c.exitCode === null) c.kill('SIGKILL');
  for (const ns of created) await run('ip', ['netns', 'del', ns], { allowFail: true });
  const left = (await run('ip', ['netns', 'list'])).stdout.split('\n').filter((l) => l.startsWith(P));
  assert.deepEqual(left, [], 'namespaces left behind');
});

test('the rules are sealed in test namespaces: no link of ours leaves them', async () => {
  const res = await run('ip', ['-o', 'link', 'show']);
  assert.doesNotMatch(res.stdout, /vif-work|vif-personal|up0@/);
});

test('an allowed port connects; the implicit drop is silent', async () => {
  assert.equal(await probe(NS.client, '192.0.2.10', 80), 'ok');
  const dropped = await counter('dropped');
  assert.equal(await probe(NS.client, '192.0.2.10', 8080, { timeout: 0.5 }), 'timeout');
  assert.ok((await counter('dropped')) > dropped);
});

test('a dropped host gets ICMP admin-prohibited (IPv4 and IPv6)', async () => {
  const rejected = await counter('rejected');
  assert.equal(await probe(NS.client, '192.0.2.20', 80, { timeout: REJECT_WAIT }), 'EHOSTUNREACH');
  assert.ok((await counter('rejected')) > rejected);
  assert.equal(await probe(NS.client, '2001:db8::10', 80, { timeout: REJECT_WAIT }), 'ok');
  // Linux reports ICMPv6 administratively prohibited as EACCES
  assert.equal(await probe(NS.client, '2001:db8::20', 80, { timeout: REJECT_WAIT }), 'EACCES');
});

test('a spoofed source address is dropped and counted', async () => {
  await ipn(NS.client, 'addr', 'add', '10.137.5.99/24', 'dev', 'eth0');
  const spoofed = await counter('spoofed');
  assert.equal(await probe(NS.client, '192.0.2.10', 80, { bind: '10.137.5.99', timeout: 0.5 }), 'timeout');
  assert.ok((await counter('spoofed')) > spoofed, 'spoofed counter did not move');
  assert.equal(await probe(NS.client, '192.0.2.10', 80), 'ok');
});

test('qube to qube traffic is dropped even when both firewalls accept all', async () => {
  const isolated = await counter('isolated');
  assert.equal(await probe(NS.client2, '10.137.5.2', 80, { timeout: 0.5 }), 'timeout');
  assert.ok((await counter('isolated')) > isolated);
  assert.equal(await probe(NS.client2, '192.0.2.20', 80), 'ok');
});

test('new rules cut tracked connections they forbid; allowed ones carry on', async () => {
  const holder = startIn(NS.client, HOLDER, ['192.0.2.10', '80']);
  await holder.waitFor(/^echo$/, 3000);
  const echoesAfter = async (ms: number, enough = Infinity) => {
    const seen = holder.lines.length;
    const until = Date.now() + ms;
    const count = () => holder.lines.slice(seen).filter((l) => l === 'echo').length;
    while (Date.now() < until && count() < enough) await new Promise((r) => setTimeout(r, 20));
    return count();
  };
  // same rules again: the flow is flushed but re-admitted as new by the accept rule
  const same = await applyQubeFirewall({ netns: NS.netvm, link: client, rules: RULES, now: now(), table: TABLE });
  assert.ok(same.cut >= 1, `cut ${same.cut}`);
  assert.ok((await echoesAfter(3000, 3)) >= 3, `allowed connection did not survive the cut: ${holder.lines.slice(-8).join(',')}`);
  // control: forbidding rules loaded WITHOUT the cut leave the established flow running
  const forbid = [parseRule('action=drop dsthost=192.0.2.10'), ...RULES];
  await applyRuleset(NS.netvm, compileQubeChain({ ...client, resolved: new Map() }, forbid, { now: now(), table: TABLE }));
  assert.ok((await echoesAfter(3000, 3)) >= 3, `established flow stopped without a cut: ${holder.lines.slice(-8).join(',')}`);
  // the applier cuts: the next packet of the held connection meets admin-prohibited, echoes stop
  const rejected = await counter('rejected');
  const res = await applyQubeFirewall({ netns: NS.netvm, link: client, rules: forbid, now: now(), table: TABLE });
  assert.ok(res.cut >= 1);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await echoesAfter(600), 0, `forbidden connection still echoes after the cut: ${holder.lines.slice(-8).join(',')}`);
  assert.ok((await counter('rejected')) > rejected);
  holder.child.kill('SIGKILL');
  await applyQubeFirewall({ netns: NS.netvm, link: client, rules: RULES, now: now(), table: TABLE });
  assert.equal(await probe(NS.client, '192.0.2.10', 80), 'ok');
});

test('specialtarget=dns allows the virtual DNS address even after DNAT, and nothing else', async () => {
  // the netvm forwards its virtual DNS address to the server, as a netvm does to its resolver
  await run('ip', ['netns', 'exec', NS.netvm, 'nft', '-f', '-'], {
    input: 'table ip bhfwnat {\n chain pre {\n  type nat hook prerouting priority dstnat;\n  ip daddr 10.139.1.1 udp dport 53 dnat to 192.0.2.10\n }\n}\n',
  });
  assert.equal(await udpProbe(NS.client, '10.139.1.1', 53, 0.5), 'timeout', 'DNS passed without a dns rule');
  await applyQubeFirewall({
    netns: NS.netvm,
    link: client,
    rules: [parseRule('action=accept specialtarget=dns'), parseRule('action=drop')],
    now: now(),
    table: TABLE,
  });
  assert.equal(await udpProbe(NS.client, '10.139.1.1', 53), 'ok');
  // the same resolver asked directly is not "dns": it meets action=drop
  assert.equal(await udpProbe(NS.client, '192.0.2.10', 53, REJECT_WAIT), 'EHOSTUNREACH');
  await applyQubeFirewall({ netns: NS.netvm, link: client, rules: RULES, now: now(), table: TABLE });
});

test('an expired rule is left out when the rules are applied', async () => {
  const t = now();
  const rules = [parseRule('action=accept dsthost=192.0.2.20 expire=+60', { now: t - 120 }), ...RULES];
  await applyQubeFirewall({ netns: NS.netvm, link: client, rules, now: t, table: TABLE });
  assert.equal(await probe(NS.client, '192.0.2.20', 80, { timeout: REJECT_WAIT }), 'EHOSTUNREACH');
  await applyQubeFirewall({ netns: NS.netvm, link: client, rules, now: t - 100, table: TABLE });
  assert.equal(await probe(NS.client, '192.0.2.20', 80), 'ok');
});

test('re-attaching a link drops what the old attach allowed; detach and bulk attach', async () => {
  // same interface name, new address, no detach in between: the old source address is now spoofed
  await attachQubeFirewall({ netns: NS.netvm, link: { ...client2, qubeIPv4: '10.137.6.3' }, rules: [parseRule('action=accept')], now: now(), table: TABLE });
  const spoofed = await counter('spoofed');
  assert.equal(await probe(NS.client2, '192.0.2.10', 80, { timeout: 0.5 }), 'timeout');
  assert.ok((await counter('spoofed')) > spoofed);
  await detachQubeFirewall(NS.netvm, { ...client2, qubeIPv4: '10.137.6.3' }, { table: TABLE });
  const dropped = await counter('dropped');
  assert.equal(await probe(NS.client2, '192.0.2.10', 80, { timeout: 0.5 }), 'timeout', 'a detached link must not forward');
  assert.ok((await counter('dropped')) > dropped);
  const failed = await attachQubeFirewalls(NS.netvm, [{ link: client2, rules: [parseRule('action=accept')], now: now(), table: TABLE }]);
  assert.deepEqual(failed, []);
  assert.equal(await probe(NS.client2, '192.0.2.10', 80), 'ok');
});

test('a rule set that fails to load blocks the qube (fail closed)', async () => {
  await applyQubeFirewall({ netns: NS.netvm, link: client, rules: [parseRule('action=accept')], now: now(), table: TABLE });
  assert.equal(await probe(NS.client, '192.0.2.10', 8080), 'ok');
  const blocked = await counter('blocked');
  await assert.rejects(
    applyQubeFirewall({
      netns: NS.netvm,
      link: client,
      now: now(),
      table: TABLE,
      rules: [parseRule('action=accept dsthost=nowhere.lab.test'), parseRule('action=accept')],
      resolve: async () => {
        throw new Error('NXDOMAIN');
      },
    }),
    (e: unknown) => e instanceof BulkheadError && e.code === 'ERR_FIREWALL' && /nowhere\.lab\.test.*NXDOMAIN.*blocked/.test(e.message),
  );
  assert.equal(await probe(NS.client, '192.0.2.10', 8080, { timeout: REJECT_WAIT }), 'EHOSTUNREACH');
  assert.ok((await counter('blocked')) > blocked);
  // the other qube is untouched
  assert.equal(await probe(NS.client2, '192.0.2.10', 8080), 'ok');
});

test('when even the blocked chain cannot load, the qube link is set down', async () => {
  await assert.rejects(
    applyQubeFirewall({ netns: NS.netvm, link: client, rules: [parseRule('action=accept')], now: now(), table: 'bhnosuchtable' }),
    (e: unknown) => e instanceof BulkheadError && e.code === 'ERR_FIREWALL' && /link was set down/.test(e.message),
  );
  const link = await run('ip', ['-n', NS.netvm, '-j', 'link', 'show', 'dev', 'vif-work']);
  const info = JSON.parse(link.stdout) as Array<{ flags: string[] }>;
  assert.ok(!info[0]!.flags.includes('UP'), `vif-work flags ${info[0]!.flags.join(',')}`);
  assert.equal(await probe(NS.client, '192.0.2.10', 80, { timeout: 0.5 }), 'timeout');
});
