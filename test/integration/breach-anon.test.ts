// Attack (issue 8, item 3): an anonymous qube must never get a clearnet disposable — by default_dispvm, @dispvm:X, a policy redirect, disposables of disposables, or a netvm change.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { readAudit } from '../../src/state/index.js';
import { ROOT } from './helpers/daemon.js';
import { forceRemoveNetns } from './net-fixture.js';
import { whonixDaemon, type WhonixDaemon } from './whonix-fixture.js';

const URL_LINE = 'http://web.lab/\n';

interface Created {
  name: string;
  netvm: unknown;
  template: unknown;
}

describe('breach: anonymous qubes open links only in disposables behind the gateway', { timeout: 1_200_000 }, () => {
  let d: WhonixDaemon;
  let prefix = '';

  /** Highest audit sequence number now (the next calls are judged by what comes after it). */
  const auditMark = (): number => {
    const db = new Database(join(d.home, 'state.db'), { readonly: true });
    try {
      return (db.prepare('SELECT MAX(seq) AS m FROM audit').get() as { m: number | null }).m ?? 0;
    } finally {
      db.close();
    }
  };
  /** Disposables created since `mark`, with the netvm they were created with (the audit row of their creation). */
  const disposablesSince = async (mark: number): Promise<Created[]> => {
    await new Promise((r) => setTimeout(r, 300)); // rpc audit rows are written in batches
    const db = new Database(join(d.home, 'state.db'), { readonly: true });
    try {
      return readAudit(db, { since: mark, limit: 100_000 })
        .filter((e) => e.event === 'qube-created')
        .map((e) => ({ name: e.qube ?? '', detail: JSON.parse(e.detail) as { klass: string; props: Record<string, unknown> } }))
        .filter((e) => e.detail.klass === 'disposable')
        .map((e) => ({ name: e.name, netvm: e.detail.props.netvm, template: e.detail.props.template }));
    } finally {
      db.close();
    }
  };
  const refusedWith = async (path: string, value: string, code: string, re: RegExp) => {
    const r = await d.api<{ error: string; message: string }>('PUT', path, { value });
    assert.ok(r.status >= 400, `${path} = ${value} is refused (got ${r.status} ${JSON.stringify(r.body)})`);
    assert.equal(r.body.error, code, `${path}: ${r.body.message}`);
    assert.match(r.body.message, re);
  };
  const prop = (q: string, key: string): unknown =>
    (JSON.parse(d.ok(['prefs', q, '--json'])) as { name: string; value: unknown }[]).find((p) => p.name === key)?.value;

  before(async () => {
    d = await whonixDaemon('anon');
    prefix = d.prefix;
  });
  after(async () => {
    await d?.teardown();
    if (prefix) forceRemoveNetns(prefix);
  });

  it('from anon-whonix, @dispvm qubes.OpenURL and qubes.OpenInVM land in a disposable behind sys-whonix', async () => {
    const mark = auditMark();
    const url = d.run('anon-whonix', ['sh', '-c', 'qrexec-client-vm @dispvm qubes.OpenURL'], { input: URL_LINE, timeoutMs: 180_000 });
    assert.equal(url.code, 0, url.stderr);
    assert.match(url.stdout, /^opened http:\/\/web\.lab\/ in host /m, 'opened in a workstation (hostname "host")');
    const file = d.run('anon-whonix', ['sh', '-c', 'qrexec-client-vm @dispvm qubes.OpenInVM'], { input: 'note.txt\nhello\n', timeoutMs: 180_000 });
    assert.equal(file.code, 0, file.stderr);
    const made = await disposablesSince(mark);
    assert.equal(made.length, 2, JSON.stringify(made));
    for (const m of made) assert.deepEqual({ netvm: m.netvm, template: m.template }, { netvm: 'sys-whonix', template: 'whonix-dvm' }, m.name);
  });

  it('from a disposable of whonix-dvm, @dispvm lands behind sys-whonix too (disposables of disposables)', async () => {
    const mark = auditMark();
    const r = d.cli(
      ['run', '--dispvm', 'whonix-dvm', '--', 'sh', '-c', `printf '${URL_LINE.trim()}\\n' | qrexec-client-vm @dispvm qubes.OpenURL`],
      undefined,
      240_000,
    );
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /^opened http:\/\/web\.lab\/ in host /m);
    const made = await disposablesSince(mark);
    assert.equal(made.length, 2, `the outer and the inner disposable: ${JSON.stringify(made)}`);
    for (const m of made) assert.equal(m.netvm, 'sys-whonix', `${m.name} (of ${String(m.template)}) is behind the gateway`);
    assert.equal(prop('whonix-dvm', 'default_dispvm'), 'whonix-dvm', 'init --whonix sets whonix-dvm as its own default_dispvm');
  });

  it('prefs that would take anonymous qubes or their disposables off Tor are refused with ERR_OFF_TOR or the workstation rule', async () => {
    await refusedWith('/qubes/anon-whonix/prefs/default_dispvm', 'default-dvm', 'ERR_OFF_TOR', /default_dispvm.*'default-dvm'.*clearnet/);
    await refusedWith('/qubes/whonix-dvm/prefs/default_dispvm', 'default-dvm', 'ERR_OFF_TOR', /default-dvm/);
    // Workstations (tag anon-vm) may only have a gateway as netvm (Qubes 4.3's rule).
    await refusedWith('/qubes/whonix-dvm/prefs/netvm', 'sys-firewall', 'ERR_INVALID_VALUE', /must be a gateway/);
    await refusedWith('/qubes/anon-whonix/prefs/netvm', 'sys-firewall', 'ERR_INVALID_VALUE', /must be a gateway/);
    // An untagged disposable template behind the gateway, chosen by anon-whonix, cannot be moved to clearnet.
    d.ok(['create', 'tor-dvm', '--template', 'whonix-ws', '--label', 'red', '--prop', 'template_for_dispvms=true', '--prop', 'netvm=sys-whonix']);
    d.ok(['prefs', 'anon-whonix', 'default_dispvm', 'tor-dvm']);
    await refusedWith('/qubes/tor-dvm/prefs/netvm', 'sys-firewall', 'ERR_OFF_TOR', /netvm of 'tor-dvm'.*'anon-whonix'.*'tor-dvm'/);
    // Nor can a qube that reaches Tor through another netvm be moved to clearnet through that netvm.
    const reset = await d.api<{ error: string; message: string }>('DELETE', '/qubes/tor-dvm/prefs/netvm');
    assert.equal(reset.body.error, 'ERR_OFF_TOR', JSON.stringify(reset.body)); // its default is the global sys-firewall
    // No network at all is accepted: such disposables cannot reveal anything.
    d.ok(['prefs', 'tor-dvm', 'netvm', 'none']);
    d.ok(['prefs', 'anon-whonix', 'default_dispvm', 'whonix-dvm']);
    d.ok(['remove', 'tor-dvm']);
    // The gateway itself stays a gateway while workstations use it.
    const gwOff = await d.api<{ error: string; message: string }>('DELETE', '/qubes/sys-whonix/features/gateway');
    assert.ok(gwOff.status >= 400, JSON.stringify(gwOff.body));
    // Nothing changed.
    assert.equal(prop('anon-whonix', 'default_dispvm'), 'whonix-dvm');
    assert.equal(prop('whonix-dvm', 'default_dispvm'), 'whonix-dvm');
    assert.equal(prop('whonix-dvm', 'netvm'), 'sys-whonix');
    assert.equal(prop('anon-whonix', 'netvm'), 'sys-whonix');
  });

  it('a policy rule that sends anon-whonix to a clearnet disposable denies the call instead', async () => {
    // A clearnet qube shows that the rules themselves work: its calls do land in default-dvm.
    d.ok(['create', 'work', '--template', 'debian-12', '--label', 'blue']);
    d.ok(['start', 'work'], undefined, 120_000);
    // policy.d (made from the shipped policy at the first start) gets one more file, written aside and renamed in.
    const pol = join(d.home, 'policy.d');
    if (!existsSync(pol)) {
      mkdirSync(pol, { recursive: true });
      for (const f of readdirSync(join(ROOT, 'policy', 'default'))) cpSync(join(ROOT, 'policy', 'default', f), join(pol, f));
    }
    writeFileSync(
      join(pol, '.10-clearnet.tmp'),
      ['qubes.OpenURL   *  @anyvm  @dispvm:default-dvm  allow', 'qubes.OpenInVM  *  @anyvm  @dispvm              allow target=@dispvm:default-dvm', ''].join(
        '\n',
      ),
    );
    renameSync(join(pol, '.10-clearnet.tmp'), join(pol, '10-clearnet.policy'));
    await new Promise((r) => setTimeout(r, 2000)); // the daemon reloads on change

    const control = auditMark();
    const w = d.run('work', ['sh', '-c', 'qrexec-client-vm @dispvm qubes.OpenInVM'], { input: 'a.txt\nhi\n', timeoutMs: 180_000 });
    assert.equal(w.code, 0, `the redirect rule is live for a clearnet qube: ${w.stderr}`);
    const wm = await disposablesSince(control);
    assert.deepEqual(
      wm.map((m) => m.template),
      ['default-dvm'],
    );

    const mark = auditMark();
    const explicit = d.run('anon-whonix', ['sh', '-c', 'qrexec-client-vm @dispvm:default-dvm qubes.OpenURL'], { input: URL_LINE, timeoutMs: 180_000 });
    assert.notEqual(explicit.code, 0, `denied: ${explicit.stdout}`);
    assert.doesNotMatch(explicit.stdout, /opened/);
    const redirected = d.run('anon-whonix', ['sh', '-c', 'qrexec-client-vm @dispvm qubes.OpenInVM'], { input: 'b.txt\nhi\n', timeoutMs: 180_000 });
    assert.notEqual(redirected.code, 0, `denied: ${redirected.stdout}`);
    const fromDisp = d.cli(
      ['run', '--dispvm', 'whonix-dvm', '--', 'sh', '-c', `printf '${URL_LINE.trim()}\\n' | qrexec-client-vm @dispvm:default-dvm qubes.OpenURL`],
      undefined,
      240_000,
    );
    assert.notEqual(fromDisp.code, 0, `denied from a disposable too: ${fromDisp.stdout}`);
    const made = await disposablesSince(mark);
    assert.deepEqual(
      made.filter((m) => m.netvm !== 'sys-whonix'),
      [],
      'no clearnet disposable was made for an anonymous caller',
    );
    // The audit says why: a denial by the Tor rule, not a failed call.
    const db = new Database(join(d.home, 'state.db'), { readonly: true });
    const denied = readAudit(db, { since: mark, limit: 100_000 }).filter((e) => e.event === 'rpc-denied-off-tor');
    db.close();
    assert.equal(denied.length, 3, JSON.stringify(denied));
    for (const e of denied) assert.match(e.detail, /@dispvm:default-dvm.*clearnet/);
  });
});
