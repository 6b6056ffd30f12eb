// Attack: root in sys-whonix swaps tor's control cookie for a symlink to a host file, kills tor and listens on its control port; no host secret may arrive.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { forceRemoveNetns } from './net-fixture.js';
import { whonixDaemon, type WhonixDaemon } from './whonix-fixture.js';

const RUN = process.env.BULKHEAD_TEST_RUN ?? `bht${randomBytes(2).toString('hex')}`;
const SECRET_DIR = `/var/tmp/${RUN}-breach`;
const SECRET_FILE = `${SECRET_DIR}/secret`;
const SECRET = `host-secret-${randomBytes(16).toString('hex')}`;
const COOKIE = '/var/lib/bulkhead-tor/control_auth_cookie';
const GOT = '/var/lib/bulkhead-tor/attacker-got';

/** The attacker's tor: records every byte it is sent, refuses authentication and hangs up. */
const FAKE_TOR = `
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', 9052)); s.listen(16)
while True:
    c, _ = s.accept(); c.settimeout(5); data = b''
    try:
        while b'\\n' not in data:
            d = c.recv(65536)
            if not d: break
            data += d
        c.sendall(b'515 Authentication failed\\r\\n')
    except Exception:
        pass
    with open('${GOT}', 'ab') as f: f.write(data + b'\\n--\\n')
    c.close()
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

/** From the workstation: one line to the control-port filter, print the answer. */
const ASK_FILTER = `
import socket
s = socket.create_connection(('10.152.152.10', 9051), 10); s.settimeout(15)
s.sendall(b'GETINFO version\\r\\n'); print(s.recv(4096).decode(errors='replace'))
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
  const assertNoSecret = (got: string, what: string) => {
    const hex = Buffer.from(SECRET).toString('hex');
    assert.ok(!got.includes(SECRET) && !got.toLowerCase().includes(hex), `${what}: the host secret arrived at the gateway's listener: ${got.slice(0, 300)}`);
  };
  const authLines = (got: string) => got.split('\n').filter((l) => /^AUTHENTICATE\b/.test(l)).length;

  it('the attacker plants the symlink and takes over 127.0.0.1:9052 in the gateway', () => {
    const r = d.run('sys-whonix', ['sh', '-c', ATTACK], { root: true, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /planted/);
  });

  it('the control-port filter, asked by the workstation, sends no host file', () => {
    const before = authLines(received());
    const r = d.run('anon-whonix', ['python3', '-c', ASK_FILTER], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^551 /, 'the filter tells the workstation tor is not reachable');
    const got = received();
    assert.ok(authLines(got) > before, `the filter did reach the attacker's listener (else this test proves nothing): ${got}`);
    assertNoSecret(got, 'control-port filter');
  });

  it('bulkhead check sends no host file', () => {
    const before = authLines(received());
    const r = d.cli(['check', 'anon-whonix', '--json'], undefined, 600_000);
    assert.equal(r.code, 1, `check fails with tor gone: ${r.stderr}`);
    const got = received();
    assert.ok(authLines(got) > before, `check did reach the attacker's listener: ${got}`);
    assertNoSecret(got, 'bulkhead check');
  });
});
