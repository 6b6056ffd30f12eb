// Attack: a host user, host root, or another qube uses a qube's RPC sockets; only that qube's own uids may (layout and SO_PEERCRED).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readAudit, type AuditEntry } from '../../src/state/index.js';
import { encodeFrame, FrameType } from '../../src/features/rpc/frame.js';
import { ROOT } from './helpers/daemon.js';
import { connectAs, NOBODY, rawCall, rpcWorld, type Ids, type RpcWorld } from './rpc-helpers.js';

const CLIENT = join(ROOT, 'native', 'build', 'qrexec-client-vm');

describe('rpc sockets admit only their own qube', { timeout: 600_000 }, () => {
  let w: RpcWorld;
  before(async () => {
    w = await rpcWorld('breachrpc', ['work', 'personal'], { dvm: true });
  });
  after(async () => {
    await w?.d.destroy();
  });

  async function auditSince(seq: number): Promise<AuditEntry[]> {
    await new Promise((r) => setTimeout(r, 300)); // RPC audit rows land within 50 ms
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(join(w.d.home, 'state.db'), { readonly: true });
    try {
      return readAudit(db, { since: seq, limit: 100_000 });
    } finally {
      db.close();
    }
  }
  async function lastSeq(): Promise<number> {
    const rows = await auditSince(0);
    return rows.length ? rows[rows.length - 1]!.seq : 0;
  }
  const qubeNames = () => (JSON.parse(w.d.ok(['ls', '--json'])) as { name: string }[]).map((q) => q.name).sort();
  /** No call was decided or run: no rpc-decision / rpc-dispvm / rpc-call-end row, no new qube. */
  function assertNoCall(rows: AuditEntry[], namesBefore: string[], what: string): void {
    const calls = rows.filter((r) => r.event.startsWith('rpc-') && r.event !== 'rpc-peer-refused');
    assert.deepEqual(
      calls.map((r) => `${r.event} ${r.detail}`),
      [],
      `${what}: no call may be decided or run`,
    );
    assert.equal(
      rows.some((r) => r.event === 'rpc-decision' && JSON.parse(r.detail).result === 'allow'),
      false,
    );
    assert.deepEqual(qubeNames(), namesBefore, `${what}: no disposable was made`);
  }
  /** The in-qube client, run on the host with `ids`, pointed at a socket. */
  const clientAs = (ids: Ids, sock: string, args: string[], input = '') =>
    spawnSync(
      'setpriv',
      [`--reuid=${ids.uid}`, `--regid=${ids.gid}`, ...(ids.groups ? [`--groups=${ids.groups.join(',')}`] : ['--clear-groups']), CLIENT, ...args],
      { env: { PATH: process.env.PATH, BULKHEAD_RPC_SOCKET: sock }, input, timeout: 30_000 },
    );

  it('a host user (nobody) reaches neither socket, and no call goes out as the qube', async () => {
    const seq = await lastSeq();
    const names = qubeNames();
    const open = clientAs(NOBODY, w.socketOf('work'), ['@dispvm', 'qubes.OpenURL'], 'http://web.lab/nobody\n');
    assert.equal(open.status, 126, `stdout=${open.stdout} stderr=${open.stderr}`);
    assert.match(open.stderr.toString(), /cannot reach the broker.*Permission denied/);
    const echo = clientAs(NOBODY, w.socketOf('work'), ['personal', 'bulkhead.Echo'], 'as-nobody\n');
    assert.equal(echo.status, 126);
    assert.equal(echo.stdout.toString(), '');
    const raw = await rawCall(w.socketOf('work'), { as: NOBODY, target: 'personal', service: 'bulkhead.Echo', stdin: Buffer.from('x') });
    assert.equal(raw.connected, false);
    assert.equal(raw.connectError, 'EACCES');
    const agent = connectAs(w.agentSocketOf('work'), NOBODY);
    agent.write(encodeFrame(FrameType.HELLO, Buffer.concat([Buffer.from([1, 0, 0, 0]), Buffer.from('agent')])));
    assert.deepEqual(await agent.closed, { connected: false, error: 'EACCES' });
    assertNoCall(await auditSince(seq), names, 'nobody');
    // The directory that keeps host users out belongs to root and the qube's root group, 0710.
    const qdir = statSync(join(w.d.home, 'run', 'rpc', 'work'));
    assert.equal(qdir.mode & 0o777, 0o710);
    assert.equal(qdir.uid, 0);
    assert.equal(qdir.gid, w.rootOf('work').gid);
  });

  it("past the directory (a process that has the qube's group), SO_PEERCRED still refuses a uid outside the qube", async () => {
    const seq = await lastSeq();
    const names = qubeNames();
    const intruder: Ids = { ...NOBODY, groups: [w.rootOf('work').gid] };
    const r = await rawCall(w.socketOf('work'), { as: intruder, target: 'personal', service: 'bulkhead.Echo', stdin: Buffer.from('x') });
    assert.equal(r.connected, true, 'the group lets the connect() through the directory');
    assert.equal(r.exit, null);
    assert.equal(r.error, null, 'not even an ERROR frame: the connection is closed before a byte is read');
    const rows = await auditSince(seq);
    assertNoCall(rows, names, "nobody with the qube's group");
    const refused = rows.filter((x) => x.event === 'rpc-peer-refused');
    assert.equal(refused.length, 1);
    assert.equal(refused[0]!.qube, 'work');
    assert.deepEqual(
      { ...JSON.parse(refused[0]!.detail), pid: 0 },
      { socket: 'broker', pid: 0, uid: 65534, gid: 65534, allowedUids: `${w.rootOf('work').uid}-${w.rootOf('work').uid + 65535}` },
    );
  });

  it('host root is not the qube either: both sockets refuse it', async () => {
    const seq = await lastSeq();
    const names = qubeNames();
    const root: Ids = { uid: 0, gid: 0 };
    const r = await rawCall(w.socketOf('work'), { as: root, target: 'personal', service: 'bulkhead.Echo' });
    assert.equal(r.connected, true);
    assert.equal(r.exit, null);
    // Root passes the 0600 of agent.sock; posing as work's agent (or as a data connection) is refused by SO_PEERCRED.
    const agent = connectAs(w.agentSocketOf('work'), root);
    agent.write(encodeFrame(FrameType.HELLO, Buffer.concat([Buffer.from([1, 0, 0, 0]), Buffer.from('agent')])));
    const got: Buffer[] = [];
    agent.onData((b) => got.push(b));
    assert.equal((await agent.closed).connected, true);
    assert.equal(Buffer.concat(got).length, 0);
    const rows = await auditSince(seq);
    assertNoCall(rows, names, 'host root');
    assert.deepEqual(
      rows
        .filter((x) => x.event === 'rpc-peer-refused')
        .map((x) => JSON.parse(x.detail).socket)
        .sort(),
      ['agent', 'broker'],
    );
    // work's real agent is still the one connected: calls to work run.
    const ok = w.d.cli(['run', 'personal', '--', 'qrexec-client-vm', 'work', 'bulkhead.Echo'], 'still-work\n');
    assert.equal(ok.stdout, 'still-work\n', ok.stderr);
  });

  it("a process of qube personal cannot use work's socket: not reachable, and refused if it were", async () => {
    const seq = await lastSeq();
    const names = qubeNames();
    const personal = w.rootOf('personal');
    const user: Ids = { uid: personal.uid + 1000, gid: personal.gid + 1000 };
    for (const ids of [personal, user]) {
      const r = await rawCall(w.socketOf('work'), { as: ids, target: 'personal', service: 'bulkhead.WhoAmI' });
      assert.equal(r.connectError, 'EACCES', `uid ${ids.uid}`);
    }
    // Inside personal, work's socket directory does not exist at all.
    const inside = w.d.cli(['run', 'personal', '--', 'sh', '-c', `test -e ${join(w.d.home, 'run', 'rpc', 'work')} && echo VISIBLE; echo done`]);
    assert.equal(inside.stdout, 'done\n', inside.stderr);
    // With work's group (as if the directory let it through): SO_PEERCRED sees personal's uid and refuses.
    const r = await rawCall(w.socketOf('work'), { as: { ...personal, groups: [w.rootOf('work').gid] }, target: 'personal', service: 'bulkhead.WhoAmI' });
    assert.equal(r.connected, true);
    assert.equal(r.exit, null);
    const rows = await auditSince(seq);
    assertNoCall(rows, names, "personal on work's socket");
    assert.equal(rows.filter((x) => x.event === 'rpc-peer-refused' && JSON.parse(x.detail).uid === personal.uid).length, 1);
  });

  it('the qube itself still calls, from its root and from its user', async () => {
    const asRoot = await rawCall(w.socketOf('work'), { as: w.rootOf('work'), target: 'personal', service: 'bulkhead.WhoAmI' });
    assert.equal(asRoot.exit, 0, JSON.stringify(asRoot));
    assert.match(asRoot.stdout.toString(), /^remote=work /);
    const r = w.d.cli(['run', 'work', '--', 'qrexec-client-vm', 'personal', 'bulkhead.Echo'], 'from-user\n');
    assert.equal(r.stdout, 'from-user\n', r.stderr);
    assert.equal(statSync(join(w.d.home, 'admin')).mode & 0o777, 0o700);
    assert.equal(statSync(join(w.d.home, 'admin', 'admin.sock')).mode & 0o777, 0o600);
    // A host user cannot reach the admin socket either.
    const admin = connectAs(join(w.d.home, 'admin', 'admin.sock'), NOBODY);
    admin.end();
    assert.deepEqual(await admin.closed, { connected: false, error: 'EACCES' });
  });
});
