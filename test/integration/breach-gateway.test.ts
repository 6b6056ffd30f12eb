// Attack: root in sys-whonix swaps tor's control cookie for a symlink to a host file, kills tor and listens on its control port; no host secret may arrive.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { forceRemoveNetns } from './net-fixture.js';
import { whonixDaemon, type WhonixDaemon } from './whonix-fixture.js';

const RUN = process.env.BULKHEAD_TEST_RUN ?? `bht${randomBytes(2).toString('hex')}`;
const SECRET_DIR = `/var/tmp/${RUN}-breach`;
const SECRET_FILE = `${SECRET_DIR}/secret`;
const SECRET = `host-secret-${randomBytes(16).toString('hex')}`;
const COOKIE = '/var/lib/bulkhead-tor/control_auth_cookie';
const GOT = '/var/lib/bulkhead-tor/attacker-got';

/**
 * The attacker's tor: accepts anything (so each client goes on and shows who it is), answers 250,
 * and records every line as "<connection> <line>".
 */
const FAKE_TOR = `
import socket, threading, itertools
ids = itertools.count(1)
lock = threading.Lock()
def serve(c, n):
    buf = b''
    try:
        while True:
            d = c.recv(65536)
            if not d: break
            buf += d
            while b'\\n' in buf:
                line, buf = buf.split(b'\\n', 1)
                with lock, open('${GOT}', 'ab') as f: f.write(b'%d ' % n + line.rstrip(b'\\r') + b'\\n')
                if line.startswith(b'GETINFO version'): c.sendall(b'250-version=0.4.8.9\\r\\n250 OK\\r\\n')
                else: c.sendall(b'250 OK\\r\\n')
    except Exception:
        pass
    c.close()
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', 9052)); s.listen(16)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c, next(ids)), daemon=True).start()
`;

/** As root in the gateway: stop whatever restarts tor, kill tor, plant the symlink, listen on 9052. */
const ATTACK = `
set -e
sup=$(cat /var/lib/bulkhead-tor/supervisor.pid 2>/dev/null || true)
[ -n "$sup" ] && kill -KILL "$sup" 2>/dev/null || true
for p in $(pidof tor); do kill -KILL "$p"; done
i=0; while pidof tor >/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
rm -f ${COOKIE} ${GOT}
ln -s ${SECRET_FILE} ${COOKIE}
cat >/root/fake-tor.py <<'PY'
${FAKE_TOR}
PY
setsid -f python3 /root/fake-tor.py >/dev/null 2>&1 </dev/null
i=0; until python3 -c "import socket; socket.create_connection(('127.0.0.1', 9052), 1).close()" 2>/dev/null; do
  sleep 0.1; i=$((i+1)); [ $i -lt 100 ] || { echo 'fake tor did not listen' >&2; exit 1; }
done
echo planted
`;

/** From the workstation: a command only the filter forwards (so its connection is known), print the answer. */
const ASK_FILTER = `
import socket
s = socket.create_connection(('10.152.152.10', 9051), 10); s.settimeout(15)
s.sendall(b'SIGNAL NEWNYM\\r\\n'); print(s.recv(4096).decode(errors='replace'))
`;

describe('breach: a compromised gateway cannot read host files through the admin side', { timeout: 1_200_000 }, () => {
  let d: WhonixDaemon;
  let prefix = '';
  before(async () => {
    mkdirSync(SECRET_DIR, { recursive: true, mode: 0o700 });
    writeFileSync(SECRET_FILE, SECRET, { mode: 0o600 });
    d = await whonixDaemon('wxbr');
    prefix = d.prefix;
  });
  after(async () => {
    await d?.teardown();
    if (prefix) forceRemoveNetns(prefix);
    rmSync(SECRET_DIR, { recursive: true, force: true });
  });

  const received = () => d.run('sys-whonix', ['sh', '-c', `cat ${GOT} 2>/dev/null || true`], { root: true }).stdout;
  /** The lines of every connection to the fake tor that sent `marker` (the filter, check, the admin's watch all authenticate alike). */
  const connectionsWith = (marker: RegExp) => {
    const conns = new Map<string, string[]>();
    for (const l of received().split('\n').filter(Boolean)) {
      const [id = '', ...rest] = l.split(' ');
      conns.set(id, [...(conns.get(id) ?? []), rest.join(' ')]);
    }
    return [...conns.values()].filter((lines) => lines.some((x) => marker.test(x)));
  };
  const assertNoSecret = (conns: string[][], what: string) => {
    assert.ok(conns.length > 0, `${what} reached the attacker's listener (else this test proves nothing)`);
    const got = conns.flat().join('\n');
    const hex = Buffer.from(SECRET).toString('hex');
    assert.ok(!got.includes(SECRET) && !got.toLowerCase().includes(hex), `${what}: the host secret arrived at the gateway's listener: ${got.slice(0, 300)}`);
    for (const c of conns) assert.match(c[0] ?? '', /^AUTHENTICATE /, `${what} authenticates first`);
  };

  it('the filter runs as nobody with no capability and no_new_privs; the password is in no argv and no file of the gateway', async () => {
    const dir = join(d.home, 'run', 'whonix', 'sys-whonix');
    const pid = Number(readFileSync(join(dir, 'control-filter.pid'), 'utf8').split(' ')[0]);
    // It drops once it has loaded its code and listens (a moment after the workstation started).
    let status = '';
    for (let i = 0; i < 150 && !/^Uid:\s+65534\b/m.test(status); i++) {
      status = readFileSync(`/proc/${pid}/status`, 'utf8');
      await new Promise((r) => setTimeout(r, 100));
    }
    const field = (k: string) => (new RegExp(`^${k}:[ \\t]*(.*)$`, 'm').exec(status)?.[1] ?? '').trim().split(/\s+/).filter(Boolean);
    assert.deepEqual(field('Uid'), ['65534', '65534', '65534', '65534'], status);
    assert.deepEqual(field('Gid'), ['65534', '65534', '65534', '65534']);
    assert.deepEqual(field('Groups'), []);
    for (const k of ['CapInh', 'CapPrm', 'CapEff', 'CapAmb']) assert.match(field(k)[0] ?? '', /^0+$/, k);
    assert.deepEqual(field('NoNewPrivs'), ['1']);
    const password = readFileSync(join(dir, 'control-password'), 'utf8').trim();
    assert.equal(statSync(join(dir, 'control-password')).mode & 0o777, 0o600);
    assert.ok(!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(password), 'not in argv');
    const inGateway = d.run('sys-whonix', ['sh', '-c', 'cat /etc/bulkhead-tor/torrc; ls /var/lib/bulkhead-tor'], { root: true }).stdout;
    assert.ok(!inGateway.includes(password), 'the gateway sees only the hash');
    assert.match(inGateway, /^HashedControlPassword 16:[0-9A-F]{58}$/m);
    assert.doesNotMatch(inGateway, /control_auth_cookie|CookieAuthentication 1/);
  });

  it('the attacker plants the symlink and takes over 127.0.0.1:9052 in the gateway', () => {
    const r = d.run('sys-whonix', ['sh', '-c', ATTACK], { root: true, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /planted/);
  });

  it('the control-port filter, asked by the workstation, sends no host file', () => {
    const r = d.run('anon-whonix', ['python3', '-c', ASK_FILTER], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assertNoSecret(connectionsWith(/^SIGNAL NEWNYM$/), 'the control-port filter');
  });

  it('bulkhead check sends no host file', () => {
    const r = d.cli(['check', 'anon-whonix', '--json'], undefined, 600_000);
    assert.equal(r.code, 1, `check fails with a fake tor: ${r.stderr}`);
    assertNoSecret(connectionsWith(/^GETINFO status\/bootstrap-phase$/), 'bulkhead check');
  });
});
