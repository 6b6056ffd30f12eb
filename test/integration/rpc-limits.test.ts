// Bounds a qube cannot push the admin side past: disposables per qube, audit rows per refused call, and a policy.d that is gone or locked.
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readAudit, type AuditEntry } from '../../src/state/index.js';
import { cliAsync, rpcWorld, waitFor, type RpcWorld } from './rpc-helpers.js';

describe('rpc limits', { timeout: 900_000 }, () => {
  let w: RpcWorld;
  before(async () => {
    w = await rpcWorld('rpclimits', ['work', 'personal'], { dvm: true });
    writeFileSync(join(w.d.home, 'policy.d', '20-limits.policy'), 'bulkhead.Echo  *  @anyvm  @dispvm  allow\n');
    await waitFor(
      'the limits rule to load',
      () =>
        readFileSync(join(w.d.home, 'bulkheadd.log'), 'utf8')
          .split('\n')
          .filter((l) => l.includes('rpc policy loaded')).length >= 2,
    );
  });
  after(async () => {
    await w?.d.destroy();
  });

  const run = (q: string, cmd: string[], input?: string) => w.d.cli(['run', q, '--', ...cmd], input);
  async function audit(since = 0): Promise<AuditEntry[]> {
    await new Promise((r) => setTimeout(r, 200)); // RPC rows land within 50 ms
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(join(w.d.home, 'state.db'), { readonly: true });
    try {
      return readAudit(db, { since, limit: 1_000_000 });
    } finally {
      db.close();
    }
  }
  const lastSeq = async () => (await audit()).at(-1)?.seq ?? 0;
  const disposables = () => (JSON.parse(w.d.ok(['ls', '--json'])) as { name: string }[]).map((q) => q.name).filter((n) => /^disp\d+$/.test(n));

  it('the N+1th concurrent @dispvm call of one qube is refused with a clear error and an audit row', async () => {
    // Checked after the calls, so that without the limit the test shows the third disposable being made.
    const set = w.d.cli(['global', 'max_dispvms_per_qube', '2']);
    const seq = await lastSeq();
    // Each call holds its disposable until /tmp/release exists in work.
    const hold = 'while [ ! -e /tmp/release ]; do sleep 0.2; done; echo held';
    const calls = [1, 2].map(() => cliAsync(w.d, ['run', 'work', '--', 'sh', '-c', `(${hold}) | qrexec-client-vm @dispvm bulkhead.Echo`]));
    await waitFor('two disposables', () => disposables().length === 2, 120_000);
    const third = run('work', ['qrexec-client-vm', '@dispvm', 'bulkhead.Echo'], 'third\n');
    assert.equal(third.code, 126, third.stderr);
    assert.match(third.stderr, /'work' holds 2 disposables from RPC calls already; the limit is 2 \(global max_dispvms_per_qube\)/);
    assert.equal(disposables().length, 2, 'no third disposable was made');
    assert.equal(set.code, 0, set.stderr);
    assert.notEqual(w.d.cli(['global', 'max_dispvms_per_qube', 'many']).code, 0, 'the limit is a whole number');
    run('work', ['touch', '/tmp/release']);
    for (const c of await Promise.all(calls)) {
      assert.equal(c.code, 0, c.stderr);
      assert.equal(c.stdout, 'held\n');
    }
    const rows = (await audit(seq)).filter((r) => r.qube === 'work' && r.event === 'rpc-call-end');
    assert.equal(rows.filter((r) => /max_dispvms_per_qube/.test(JSON.parse(r.detail).reason ?? '')).length, 1);
    await waitFor('the disposables to be gone', () => disposables().length === 0, 60_000);
    // The slots are free again.
    const again = run('work', ['qrexec-client-vm', '@dispvm', 'bulkhead.Echo'], 'again\n');
    assert.equal(again.stdout, 'again\n', again.stderr);
    run('work', ['rm', '-f', '/tmp/release']);
  });

  it('a removed or locked policy.d denies every call with the reason; it never falls back to the shipped policy', async () => {
    const pol = join(w.d.home, 'policy.d');
    const away = join(w.d.home, 'policy.d.away');
    // qubes.GetDate to @default is allowed by the shipped policy too: a fallback would show as exit 0.
    const call = () => run('personal', ['qrexec-client-vm', '@default', 'qubes.GetDate']).code;
    assert.equal(call(), 0);
    const reasonSince = async (seq: number) =>
      (await audit(seq))
        .filter((r) => r.event === 'rpc-decision' && r.qube === 'personal')
        .map((r) => JSON.parse(r.detail).reason as string)
        .at(-1);

    let seq = await lastSeq();
    renameSync(pol, away);
    try {
      await waitFor('calls to be denied without policy.d', () => call() === 126, 10_000);
      assert.match((await reasonSince(seq))!, /policy\.d: the policy directory is missing \(every call is denied\)/);
    } finally {
      renameSync(away, pol);
    }
    await waitFor('calls to be allowed again', () => call() === 0, 10_000);

    seq = await lastSeq();
    chmodSync(pol, 0o000);
    try {
      await waitFor('calls to be denied with policy.d mode 0000', () => call() === 126, 10_000);
      assert.match((await reasonSince(seq))!, /policy\.d: the policy directory is unreadable \(mode 0000\)/);
    } finally {
      chmodSync(pol, 0o755);
    }
    await waitFor('calls to be allowed again', () => call() === 0, 10_000);

    // A daemon started without policy.d does not make it again from the shipped files.
    renameSync(pol, away);
    try {
      w.d.stop();
      w.d.start();
      assert.equal(call(), 126);
      assert.throws(() => statSync(pol), /ENOENT/);
    } finally {
      renameSync(away, pol);
    }
    await waitFor('calls to be allowed again', () => call() === 0, 10_000);
    // The restarted daemon left the running qubes their binaries and service handlers.
    const echo = run('personal', ['qrexec-client-vm', 'work', 'bulkhead.Echo'], 'after-restart\n');
    assert.equal(echo.stdout, 'after-restart\n', echo.stderr);
  });

  it('a bad file keeps the last good policy, and the log names it', async () => {
    const f = join(w.d.home, 'policy.d', '10-broken.policy');
    writeFileSync(f, 'qubes.GetDate * @anyvm @anyvm allow bogus=1\n');
    try {
      const log = () => readFileSync(join(w.d.home, 'bulkheadd.log'), 'utf8');
      await waitFor('the bad file to be reported', () => /10-broken\.policy:1/.test(log()), 10_000);
      for (let i = 0; i < 3; i++) assert.equal(run('personal', ['qrexec-client-vm', 'work', 'bulkhead.Echo'], 'x').code, 0);
      assert.match(log(), /10-broken\.policy:1.*the last good policy stays in force|the last good policy stays in force.*10-broken\.policy:1/);
    } finally {
      rmSync(f, { force: true });
    }
  });

  it('a flood of refused calls with 64 KiB arguments writes bounded rows and bytes', async (t) => {
    const seq = await lastSeq();
    const logBefore = statSync(join(w.d.home, 'bulkheadd.log')).size;
    const t0 = Date.now();
    const flood = run('work', [
      'sh',
      '-c',
      'A=$(head -c 65000 /dev/zero | tr "\\0" a); n=0; while [ $n -lt 300 ]; do qrexec-client-vm vault "no.Such+$A" </dev/null 2>/dev/null; n=$((n+1)); done; echo flooded',
    ]);
    const secs = (Date.now() - t0) / 1000;
    assert.equal(flood.stdout, 'flooded\n', flood.stderr);
    const rows = (await audit(seq)).filter((r) => r.qube === 'work');
    const decisions = rows.filter((r) => r.event === 'rpc-decision');
    assert.ok(decisions.length >= 1 && decisions.length <= 50 + Math.ceil(5 * secs) + 1, `${decisions.length} rows in ${secs.toFixed(1)} s`);
    assert.ok(decisions.length < 300, 'not one row per call');
    for (const r of rows) assert.ok(r.detail.length <= 5 * 1024, `row ${r.seq} is ${r.detail.length} bytes`);
    const arg = JSON.parse(decisions[0]!.detail).argument as string;
    assert.match(arg, /^\+a+…\[cut \d+ bytes\]$/);
    assert.ok(Buffer.byteLength(arg) < 1100, `argument kept: ${Buffer.byteLength(arg)} bytes`);
    assert.equal(JSON.parse(decisions[0]!.detail).truncated, true);
    const logGrew = statSync(join(w.d.home, 'bulkheadd.log')).size - logBefore;
    const bytes = rows.reduce((n, r) => n + r.detail.length, 0);
    t.diagnostic(
      `300 refused calls in ${secs.toFixed(1)} s: ${rows.length} rows (${decisions.length} decisions), ${bytes} bytes of detail, largest ${Math.max(...rows.map((r) => r.detail.length))}, daemon log +${logGrew} bytes`,
    );
    assert.ok(logGrew < 512 * 1024, `the daemon log grew by ${logGrew} bytes`);
    // What was dropped is counted in summary rows (one per source and 10 s window).
    let counted = 0;
    for (const end = Date.now() + 25_000; Date.now() < end && counted !== 300;) {
      const sums = (await audit(seq)).filter((r) => r.event === 'rpc-audit-suppressed' && r.qube === 'work');
      counted = decisions.length + sums.reduce((n, r) => n + (JSON.parse(r.detail) as { suppressed: number }).suppressed, 0);
    }
    assert.equal(counted, 300, 'every refused call is either a row or counted in a summary');
  });
});
