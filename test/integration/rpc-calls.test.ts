// RPC between real qubes: allowed, denied, asked (answered and timed out), identity from the socket, disposables, services, clipboard.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readAudit } from '../../src/state/index.js';
import { cliAsync, rawCall, rpcWorld, waitFor, type RpcWorld } from './rpc-helpers.js';
import { withPrivateTree } from './helpers/private-volume.js';

interface Pending {
  id: string;
  source: string;
  service: string;
  candidates: string[];
  defaultTarget: string | null;
}

describe('rpc calls between qubes', { timeout: 600_000 }, () => {
  let w: RpcWorld;
  before(async () => {
    w = await rpcWorld('rpccall', ['work', 'personal', 'vault', 'other', 'sleeper'], {
      askTimeoutS: 3,
      start: ['work', 'personal', 'vault', 'other'],
      dvm: true,
    });
  });
  after(async () => {
    await w?.d.destroy();
  });

  const run = (q: string, cmd: string[], input?: string) => w.d.cli(['run', q, '--', ...cmd], input);

  it('an allowed call carries stdin, stdout, stderr and the exit code', () => {
    const r = run('work', ['qrexec-client-vm', 'personal', 'bulkhead.Echo'], 'hello through the broker\n');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hello through the broker\n');
    const who = run('work', ['qrexec-client-vm', 'personal', 'bulkhead.WhoAmI+arg.1']);
    assert.equal(who.code, 0, who.stderr);
    assert.match(who.stdout, /^remote=work service=bulkhead\.WhoAmI\+arg\.1 argument=arg\.1 user=user uid=1000 argv1=arg\.1 host=personal$/m);
    const code = run('work', [
      'sh',
      '-c',
      'echo "echo to-stderr >&2; exit 7" > /tmp/s; qrexec-client-vm personal bulkhead.Echo < /tmp/s | sh; echo "pipeline=$?"',
    ]);
    assert.match(code.stdout, /pipeline=7/);
    assert.match(code.stderr, /to-stderr/);
  });

  it('a big stream passes in order both ways', () => {
    const r = run('work', [
      'sh',
      '-c',
      'head -c 20000000 /dev/urandom > /tmp/in; qrexec-client-vm personal bulkhead.Echo < /tmp/in | cmp - /tmp/in && echo same',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'same');
  });

  it('a denied call exits 126 and runs nothing', () => {
    const r = run('work', ['sh', '-c', 'echo x > /tmp/f; qvm-copy-to-vm vault /tmp/f']);
    assert.equal(r.code, 126, r.stderr);
    assert.match(r.stderr, /Request refused/);
    assert.equal(
      withPrivateTree(join(w.d.home, 'qubes', 'vault'), (t) => existsSync(join(t, 'home', 'user', 'QubesIncoming'))),
      false,
    );
    const none = run('work', ['qrexec-client-vm', 'personal', 'no.SuchService']);
    assert.equal(none.code, 126, 'no rule for the service: refused');
  });

  it('an ask waits, shows in rpc pending, and runs after allow from the CLI', async () => {
    run('work', ['sh', '-c', 'echo asked-and-allowed > /tmp/asked.txt']);
    const call = cliAsync(w.d, ['run', 'work', '--', 'qvm-copy', '/tmp/asked.txt']);
    const p = await waitFor('a pending ask', () => {
      const list = JSON.parse(w.d.ok(['rpc', 'pending', '--json'])) as Pending[];
      return list.find((x) => x.source === 'work' && x.service === 'qubes.Filecopy');
    });
    assert.ok(p.candidates.includes('personal') && p.candidates.includes('other'), p.candidates.join(','));
    assert.ok(!p.candidates.includes('work'), 'the source is never a candidate');
    assert.match(w.d.ok(['rpc', 'pending']), new RegExp(p.id));
    const bad = w.d.cli(['rpc', 'answer', p.id, 'allow', '--target', 'dom0']);
    assert.notEqual(bad.code, 0, 'a target outside the candidates is refused');
    assert.match(w.d.ok(['rpc', 'answer', p.id, 'allow', '--target', 'personal']), /allowed/);
    const r = await call;
    assert.equal(r.code, 0, r.stderr);
    const got = withPrivateTree(join(w.d.home, 'qubes', 'personal'), (t) =>
      readFileSync(join(t, 'home', 'user', 'QubesIncoming', 'work', 'asked.txt'), 'utf8'),
    );
    assert.equal(got, 'asked-and-allowed\n');
  });

  it('an ask answered deny, and an ask nobody answers, both exit 126', async () => {
    const call = cliAsync(w.d, ['run', 'work', '--', 'qvm-copy-to-vm', 'other', '/tmp/asked.txt']);
    const p = await waitFor('a pending ask', () => (JSON.parse(w.d.ok(['rpc', 'pending', '--json'])) as Pending[]).find((x) => x.source === 'work'));
    assert.equal(p.defaultTarget, 'other');
    w.d.ok(['rpc', 'answer', p.id, 'deny']);
    assert.equal((await call).code, 126);
    const t0 = Date.now();
    const timed = await cliAsync(w.d, ['run', 'work', '--', 'qvm-copy-to-vm', 'other', '/tmp/asked.txt']);
    const took = Date.now() - t0;
    assert.equal(timed.code, 126, timed.stderr);
    assert.match(timed.stderr, /no answer within 3 s/);
    assert.ok(took >= 2900 && took < 20_000, `timed out after ${took} ms`);
    assert.deepEqual(JSON.parse(w.d.ok(['rpc', 'pending', '--json'])), []);
    assert.equal(
      withPrivateTree(join(w.d.home, 'qubes', 'other'), (t) => existsSync(join(t, 'home', 'user', 'QubesIncoming'))),
      false,
    );
  });

  it('the source is the socket, never what the caller says', async () => {
    // Inside a qube only its own two sockets exist; the other qubes' directories are not there.
    const ls = run('work', ['sh', '-c', `ls /run/bulkhead/rpc; test -e ${join(w.d.home, 'run', 'rpc', 'personal')} && echo VISIBLE; true`]);
    assert.deepEqual(ls.stdout.trim().split('\n'), ['agent.sock', 'broker.sock']);
    // The agent socket belongs to the qube's root: its user cannot pose as the agent.
    const agent = run('work', ['sh', '-c', 'BULKHEAD_RPC_SOCKET=/run/bulkhead/rpc/agent.sock qrexec-client-vm personal bulkhead.Echo </dev/null']);
    assert.equal(agent.code, 126);
    assert.match(agent.stderr, /Permission denied/);
    // A forged source in HELLO and in extra CALL fields is ignored.
    const r = await rawCall(w.socketOf('work'), {
      as: w.rootOf('work'),
      target: 'personal',
      service: '',
      hello: Buffer.concat([Buffer.from([1, 0, 0, 0]), Buffer.from('source=vault')]),
      callPayload: Buffer.from('personal\0bulkhead.WhoAmI\0vault\0source=vault'),
    });
    assert.equal(r.exit, 0, JSON.stringify(r));
    assert.match(r.stdout.toString(), /^remote=work /);
    // The same call on personal's socket comes from personal, and personal cannot call itself.
    const self = await rawCall(w.socketOf('personal'), { as: w.rootOf('personal'), target: 'personal', service: 'bulkhead.WhoAmI' });
    assert.equal(self.error?.code, 126);
    // Decisions are in the audit log (written in batches within 50 ms).
    await new Promise((res) => setTimeout(res, 300));
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(join(w.d.home, 'state.db'), { readonly: true });
    const audit = readAudit(db, { limit: 100_000 });
    db.close();
    const forged = audit.find((e) => e.event === 'rpc-decision' && JSON.stringify(e.detail).includes('source=vault'));
    assert.ok(forged, 'the forged fields are audited');
    assert.equal(forged!.qube, 'work');
  });

  it('a disposable target is made for the call and gone after it', async () => {
    const r = run('work', ['qrexec-client-vm', '@dispvm', 'bulkhead.WhoAmI']);
    assert.equal(r.code, 0, r.stderr);
    const host = /host=(disp\d+)/.exec(r.stdout)?.[1];
    assert.ok(host, r.stdout);
    assert.match(r.stdout, /^remote=work /);
    await waitFor(
      'the disposable to be removed',
      () => {
        const names = (JSON.parse(w.d.ok(['ls', '--json'])) as { name: string }[]).map((q) => q.name);
        return !names.includes(host!) && !existsSync(join(w.d.home, 'qubes', host!));
      },
      30_000,
    );
    const url = run('work', ['sh', '-c', 'printf "http://web.lab/page\\n" | qrexec-client-vm @dispvm qubes.OpenURL']);
    assert.equal(url.code, 0, url.stderr);
    assert.match(url.stdout, /^opened http:\/\/web\.lab\/page in disp\d+/);
    const bad = run('work', ['sh', '-c', 'printf "file:///etc/passwd\\n" | qrexec-client-vm @dispvm qubes.OpenURL']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /only http, https and ftp/);
  });

  it('a halted target is started when policy allows autostart', () => {
    const r = run('work', ['qrexec-client-vm', 'sleeper', 'bulkhead.WhoAmI']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /host=sleeper/);
    const ls = JSON.parse(w.d.ok(['ls', '--json'])) as { name: string; state: string }[];
    assert.equal(ls.find((q) => q.name === 'sleeper')?.state.toLowerCase(), 'running');
  });

  it('services: GetDate from the admin side, ConnectTCP by port, admin.* refused', () => {
    const date = run('work', ['qrexec-client-vm', '@default', 'qubes.GetDate']);
    assert.equal(date.code, 0, date.stderr);
    assert.match(date.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/m);
    const admin = run('work', ['qrexec-client-vm', 'dom0', 'admin.vm.List']);
    assert.equal(admin.code, 126);
    w.d.ok(['run', 'personal', '--', 'sh', '-c', 'nohup sh -c "echo tcp-hello | nc -l -q 1 127.0.0.1 8123" >/dev/null 2>&1 &']);
    const tcp = run('work', ['sh', '-c', 'sleep 0.5; qrexec-client-vm personal qubes.ConnectTCP+8123 </dev/null']);
    assert.equal(tcp.code, 0, tcp.stderr);
    assert.equal(tcp.stdout, 'tcp-hello\n');
    assert.equal(run('work', ['qrexec-client-vm', 'personal', 'qubes.ConnectTCP+22']).code, 126, 'other ports are denied by the shipped policy');
  });

  it('clipboard: copy from a qube, paste by policy, refused into vault', () => {
    w.d.ok(['run', 'work', '--', 'sh', '-c', 'printf "secret words" > ~/.bulkhead-clipboard']);
    assert.match(w.d.ok(['clipboard', 'copy', 'work']), /copied 12 bytes from work/);
    const denied = w.d.cli(['clipboard', 'paste', 'vault']);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /refused/);
    assert.match(w.d.ok(['clipboard', 'paste', 'personal']), /pasted 12 bytes from work into personal/);
    const [clip, source] = withPrivateTree(join(w.d.home, 'qubes', 'personal'), (t) => {
      const home = join(t, 'home', 'user');
      return [readFileSync(join(home, '.bulkhead-clipboard'), 'utf8'), readFileSync(join(home, '.bulkhead-clipboard.source'), 'utf8')];
    });
    assert.equal(clip, 'secret words');
    assert.equal(source, 'work\n');
    assert.notEqual(w.d.cli(['clipboard', 'paste', 'other']).code, 0, 'the clipboard is emptied by a paste');
  });

  it('a broken policy file keeps the last good policy and the log names file and line', async () => {
    const f = join(w.d.home, 'policy.d', '10-broken.policy');
    writeFileSync(f, 'bulkhead.Echo * @anyvm @anyvm deny\nbulkhead.Echo * @anyvm @anyvm allow bogus=1\n');
    try {
      await waitFor('the broken policy to be reported', () => /10-broken\.policy:2/.test(readFileSync(join(w.d.home, 'bulkheadd.log'), 'utf8')), 10_000);
      // Its valid deny line is not taken either: the whole new policy is refused, the last good one decides.
      const r = run('work', ['qrexec-client-vm', 'personal', 'bulkhead.Echo'], 'x');
      assert.equal(r.code, 0, r.stderr);
    } finally {
      writeFileSync(f, 'bulkhead.Echo * @anyvm @anyvm deny\n');
    }
    await waitFor('the fixed policy to load', () => run('work', ['qrexec-client-vm', 'personal', 'bulkhead.Echo'], 'x').code === 126, 10_000);
    writeFileSync(f, '');
    await waitFor('the empty file to load', () => run('work', ['qrexec-client-vm', 'personal', 'bulkhead.Echo'], 'x').code === 0, 10_000);
    assert.ok(readdirSync(join(w.d.home, 'policy.d')).length > 0);
  });
});
