// The dashboard in Debian's Chromium (playwright-core) against a real daemon with real qubes: access control, views, a firewall edit and an ask answered in the page.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { labDaemon, type NetDaemon } from './net-fixture.js';
import { cliAsync } from './rpc-helpers.js';
import { withPrivateTree } from './helpers/private-volume.js';
import { ROOT } from './helpers/daemon.js';
import { freePort, launchChromium, type TestBrowser } from './helpers/chromium.js';

const OTHER = '192.0.2.20';
const XSS = '<img src=x onerror=alert(1)>';
const SHOTS = join(ROOT, 'docs', 'dashboard');

/** One request with exactly these headers (fetch would drop Host): status and body text. */
function raw(port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    r.on('error', reject);
    r.end(body);
  });
}

/** A port nothing listens on now (the kernel's choice), for the global dashboard_port. */
describe('dashboard', { timeout: 300_000 }, () => {
  let d: NetDaemon;
  let port = 0;
  let base = '';
  let browser: TestBrowser | undefined;
  let ctx: BrowserContext;
  let page: Page;
  const dialogs: string[] = [];
  const link = () => d.ok(['dashboard', 'url']).trim().split('\n').pop() as string;
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`) });
  const curl = (qube: string, url: string) => d.run(qube, ['curl', '-sS', '--max-time', '5', '-o', '/dev/null', url]);

  before(async () => {
    d = await labDaemon<NetDaemon>('dash', ['--no-tor'], ['--uplink', 'lab']);
    d.ok(['create', 'work', '--template', 'debian-12', '--label', 'blue', '--prop', 'netvm=sys-firewall']);
    d.ok(['create', 'personal', '--template', 'debian-12', '--label', 'yellow', '--prop', 'netvm=none']);
    d.ok(['create', 'vault', '--template', 'debian-12', '--label', 'black', '--prop', 'netvm=none']);
    d.ok(['start', 'work', 'personal']);
    port = await freePort();
    d.ok(['global', 'dashboard_port', String(port)]);
    base = `http://127.0.0.1:${port}`;
    mkdirSync(SHOTS, { recursive: true });
    browser = await launchChromium({ width: 1360, height: 820 });
    ({ ctx, page } = browser);
    page.on('dialog', (dlg) => {
      dialogs.push(dlg.message());
      void dlg.dismiss();
    });
  });
  after(async () => {
    await browser?.close();
    await d?.teardown();
  });

  it('listens on 127.0.0.1 only, and refuses everything without the session, with data in no answer', async () => {
    const listen = readFileSync('/proc/net/tcp', 'utf8')
      .split('\n')
      .filter((l) => l.includes(`:${port.toString(16).toUpperCase().padStart(4, '0')} `) && / 0A /.test(l));
    assert.deepEqual(
      listen.map((l) => l.trim().split(/\s+/)[1]),
      [`0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`],
      'one listener, on 127.0.0.1',
    );
    for (const path of ['/api/qubes', '/api/events', '/api/audit', '/api/rpc/pending', '/api/session']) {
      const r = await fetch(`${base}${path}`);
      assert.equal(r.status, 401, path);
      const body = await r.text();
      assert.doesNotMatch(body, /work|personal|sys-net/, `${path}: no data`);
    }
    const forged = await fetch(`${base}/api/qubes`, { headers: { cookie: 'bh_dashboard=forged' } });
    assert.equal(forged.status, 401);
    const bad = await fetch(`${base}/login?s=not-a-secret`, { redirect: 'manual' });
    assert.equal(bad.status, 401);
    assert.equal(bad.headers.get('set-cookie'), null);
  });

  it('the one-time link becomes an HttpOnly SameSite=Strict cookie; the link works once', async () => {
    const url = link();
    assert.match(url, new RegExp(`^http://127\\.0\\.0\\.1:${port}/login\\?s=[A-Za-z0-9_-]{43}$`));
    const r = await page.goto(url);
    assert.equal(r?.status(), 200);
    await page.waitForSelector('[data-testid=qubes-table]');
    const cookies = await ctx.cookies(base);
    const c = cookies.find((x) => x.name === 'bh_dashboard');
    assert.ok(c, 'session cookie set');
    assert.equal(c.httpOnly, true);
    assert.equal(c.sameSite, 'Strict');
    assert.equal(new URL(page.url()).search, '', 'the secret left the address bar');
    assert.equal(await page.evaluate(() => document.cookie), '', 'scripts cannot read the cookie');
    const again = await fetch(url, { redirect: 'manual' });
    assert.equal(again.status, 401, 'used up');
    // The strict CSP is on the page.
    const csp = r?.headers()['content-security-policy'] ?? '';
    for (const part of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"]) assert.ok(csp.includes(part), part);
  });

  it('with the session cookie: a change without the CSRF token, with a wrong one, or from a foreign Origin or Host is refused', async () => {
    const c = (await ctx.cookies(base)).find((x) => x.name === 'bh_dashboard') as { value: string };
    const cookie = `bh_dashboard=${c.value}`;
    const ok = await fetch(`${base}/api/qubes`, { headers: { cookie } });
    assert.equal(ok.status, 200, 'the cookie alone reads');
    const { csrf } = (await (await fetch(`${base}/api/session`, { headers: { cookie } })).json()) as { csrf: string };
    const change = (headers: Record<string, string>) =>
      raw(port, 'PUT', '/api/qubes/vault/tags/x', { cookie, 'content-type': 'application/json', ...headers }, '{}');
    const cases: [string, Record<string, string>, number][] = [
      ['no token', { origin: base }, 403],
      ['a wrong token', { origin: base, 'x-bulkhead-csrf': 'A'.repeat(43) }, 403],
      ['a foreign origin', { origin: 'http://evil.example', 'x-bulkhead-csrf': csrf }, 403],
      ['no origin', { 'x-bulkhead-csrf': csrf }, 403],
      ['a cross-site fetch', { origin: base, 'x-bulkhead-csrf': csrf, 'sec-fetch-site': 'cross-site' }, 403],
      ['a rebound host', { host: `evil.example:${port}`, origin: `http://evil.example:${port}`, 'x-bulkhead-csrf': csrf }, 403],
    ];
    for (const [why, h, status] of cases) {
      const r = await change(h);
      assert.equal(r.status, status, why);
      assert.doesNotMatch(r.body, /"tags"/, `${why}: no data`);
    }
    const rebound = await raw(port, 'GET', '/api/qubes', { cookie, host: `evil.example:${port}` });
    assert.equal(rebound.status, 403, 'a read through a rebound name');
    assert.doesNotMatch(rebound.body, /personal/);
    const stream = await raw(port, 'GET', '/api/events', { host: `evil.example:${port}` });
    assert.equal(stream.status, 403, 'the event stream through a rebound name');
    assert.deepEqual(JSON.parse(d.ok(['ls', '--json'])).find((q: { name: string }) => q.name === 'vault').tags ?? [], [], 'nothing changed');
    const good = await change({ origin: base, 'x-bulkhead-csrf': csrf });
    assert.equal(good.status, 200, 'the right token and origin pass');
    d.ok(['tags', 'vault', 'del', 'x']);
  });

  it('lists the qubes with their label colours and states', async () => {
    const rows = await page.$$eval('[data-qube]', (trs) =>
      trs.map((tr) => ({
        name: tr.getAttribute('data-qube'),
        label: tr.querySelector('[data-label]')?.getAttribute('data-label'),
        colour: getComputedStyle(tr.querySelector('.dot') as Element).backgroundColor,
        state: tr.querySelector('[data-testid=state]')?.textContent,
      })),
    );
    const byName = new Map(rows.map((r) => [r.name, r]));
    assert.equal(byName.get('work')?.label, 'blue');
    assert.equal(byName.get('work')?.colour, 'rgb(52, 101, 164)', "Qubes' blue");
    assert.equal(byName.get('personal')?.colour, 'rgb(237, 212, 0)', "Qubes' yellow");
    assert.equal(byName.get('work')?.state, 'running');
    assert.equal(byName.get('vault')?.state, 'halted');
    for (const n of ['sys-net', 'sys-firewall', 'debian-12', 'work', 'personal', 'vault']) assert.ok(byName.has(n), n);
    // Memory, CPU now (two samples) and disk use (measured in the background) arrive by themselves.
    await page.waitForFunction(
      () => {
        const cells = [...document.querySelectorAll('[data-qube=work] td.num')].map((td) => td.textContent ?? '');
        return cells.length === 3 && /iB/.test(cells[0] ?? '') && /%/.test(cells[1] ?? '') && /iB/.test(cells[2] ?? '');
      },
      undefined,
      { timeout: 20_000 },
    );
    await shot('qubes');
  });

  it('starts and stops a qube from the page; the events appear without a reload', async () => {
    await page.click('[data-qube=vault] >> text=Start');
    await page.waitForSelector('[data-qube=vault] [data-testid=state] >> text=running', { timeout: 30_000 });
    assert.equal(
      JSON.parse(d.ok(['ls', '--json']))
        .find((q: { name: string }) => q.name === 'vault')
        .state.toLowerCase(),
      'running',
    );
    await page.click('[data-qube=vault] >> text=Shut down');
    await page.waitForSelector('[data-qube=vault] [data-testid=state] >> text=halted', { timeout: 30_000 });
    // A change made elsewhere (the CLI) shows up by the stream alone.
    const nav = page.url();
    d.ok(['tags', 'personal', 'add', 'from-cli']);
    await page.click('a[data-tab=events]');
    await page.waitForSelector('[data-testid=events] [data-event=tag-added]');
    await page.waitForSelector('[data-testid=events] [data-event=qube-stopped]');
    assert.equal(page.url().split('#')[0], nav.split('#')[0], 'no reload');
    await page.click('[data-testid=verify-chain]');
    await page.waitForSelector('[data-testid=verify-result] >> text=chain intact');
    await shot('events');
  });

  it('create with a bad name shows the error at the name field; clone and remove', async () => {
    await page.click('a[data-tab=qubes]');
    await page.click('[data-testid=new-qube]');
    await page.fill('[data-testid=create-form] input[name=name]', '1bad name');
    await page.click('[data-testid=create-form] button[type=submit]');
    const err = await page.waitForSelector('[data-field-error=name]');
    assert.match((await err.textContent()) ?? '', /must start with a letter/);
    await shot('create-error');
    await page.fill('[data-testid=create-form] input[name=name]', 'scratch');
    await page.click('[data-testid=create-form] button[type=submit]');
    await page.waitForSelector('[data-qube=scratch]');
    assert.ok(JSON.parse(d.ok(['ls', '--json'])).some((q: { name: string }) => q.name === 'scratch'));
    // Clone and remove from its details (a halted qube; the data flag stays off for a qube without data).
    await page.waitForSelector('[data-testid=qube-detail] h2 >> text=scratch');
    await page.fill('[data-testid=qube-detail] input[placeholder="name of the copy"]', 'scratch2');
    await page.click('[data-testid=qube-detail] button:has-text("Clone")');
    await page.waitForSelector('[data-qube=scratch2]');
    await page.click('[data-qube=scratch2] td.name');
    await page.click('[data-testid=qube-detail] button:has-text("Remove scratch2")');
    await page.waitForSelector('[data-qube=scratch2]', { state: 'detached' });
    assert.equal(
      JSON.parse(d.ok(['ls', '--json'])).some((q: { name: string }) => q.name === 'scratch2'),
      false,
    );
  });

  it("a property set in the page goes through the CLI's validation, its error shown at the field", async () => {
    await page.click('[data-qube=vault] td.name');
    await page.waitForSelector('[data-testid=qube-detail] [data-prop=netvm]');
    await page.click('[data-prop=netvm] >> text=Edit');
    await page.fill('[data-prop=netvm] input', 'no-such-qube');
    await page.click('[data-prop=netvm] >> text=Save');
    const err = await page.waitForSelector('[data-field-error=netvm]');
    assert.match((await err.textContent()) ?? '', /netvm: .*no-such-qube/);
    await shot('qube-detail');
    await page.fill('[data-prop=netvm] input', 'sys-firewall');
    await page.click('[data-prop=netvm] >> text=Save');
    await page.waitForSelector('[data-prop=netvm] >> text=sys-firewall');
    assert.equal(d.ok(['prefs', 'vault', 'netvm']).trim(), 'sys-firewall');
    d.ok(['prefs', 'vault', 'netvm', '--reset']);
  });

  it('a backup started in the page shows its real progress to the end', async () => {
    await page.goto(`${base}/#/work`);
    await page.selectOption('[data-testid=backup-qubes]', ['vault']);
    await page.fill('[data-testid=backup-file]', join(d.home, 'page-backup.bhb'));
    await page.fill('[data-testid=backup-pass]', 'correct horse battery');
    await page.click('[data-testid=backup-go]');
    await page.waitForSelector('[data-job-state=done]', { timeout: 60_000 });
    const bar = await page.$eval('[data-job-state=done] progress', (p) => ({ value: (p as HTMLProgressElement).value, max: (p as HTMLProgressElement).max }));
    assert.ok(bar.max > 1 && bar.value === bar.max, JSON.stringify(bar));
    const lines = Number(await page.getAttribute('[data-job-state=done]', 'data-progress-lines'));
    assert.ok(lines >= 1, `progress lines from the daemon: ${lines}`);
    await shot('work');
    writeFileSync(join(d.home, 'page-backup.pass'), 'correct horse battery', { mode: 0o600 });
    const v = d.cli(['backup', 'verify', join(d.home, 'page-backup.bhb'), '--passphrase-file', join(d.home, 'page-backup.pass')]);
    assert.equal(v.code, 0, v.stderr + v.stdout);
  });

  it('draws the network chain', async () => {
    await page.click('a[data-tab=network]');
    await page.waitForSelector('[data-testid=network-svg] [data-node=work]');
    for (const n of ['uplink', 'sys-net', 'sys-firewall', 'work']) assert.ok(await page.$(`[data-testid=network-svg] [data-node="${n}"]`), n);
    assert.match((await page.textContent('[data-testid=offline]')) ?? '', /personal/);
    await shot('network');
  });

  it('a firewall rule added in the page takes effect in the qube', async () => {
    assert.equal(curl('work', `http://${OTHER}/`).code, 0, 'positive control: the lab host answers first');
    await page.goto(`${base}/#/firewall`);
    await page.selectOption('[data-testid=fw-qube]', 'work');
    // A bad host is refused at its field, the rule list unchanged.
    await page.fill('[data-testid=fw-form] input[name=dsthost]', '300.1.2.3');
    await page.click('[data-testid=fw-form] button[type=submit]');
    await page.waitForSelector('[data-field-error=dsthost]');
    await page.fill('[data-testid=fw-form] input[name=dsthost]', OTHER);
    await page.fill('[data-testid=fw-form] input[name=comment]', 'no other');
    await page.fill('[data-testid=fw-form] input[name=expire]', '+3600');
    await page.click('[data-testid=fw-form] button[type=submit]');
    await page.waitForSelector(`[data-testid=fw-rules] >> text=dsthost=${OTHER}`);
    const rules = JSON.parse(d.ok(['firewall', 'work', 'list', '--json'])) as string[];
    assert.match(rules[0] ?? '', new RegExp(`action=drop dsthost=${OTHER.replace(/\./g, '\\.')}`));
    await shot('firewall');
    const r = curl('work', `http://${OTHER}/`);
    assert.notEqual(r.code, 0, `the probe is dropped after the edit: ${r.stderr}`);
    // Removed in the page: reachable again.
    await page.click('[data-rule="0"] >> text=Remove');
    await page.waitForFunction((h) => !document.querySelector('[data-testid=fw-rules]')?.textContent?.includes(h), OTHER);
    assert.equal(curl('work', `http://${OTHER}/`).code, 0, 'reachable again after the removal');
  });

  it('an ask answered in the page unblocks a real qvm-copy', async () => {
    d.run('work', ['sh', '-c', 'echo copied-through-the-page > /tmp/page.txt']);
    const t0 = Date.now();
    const call = cliAsync(d, ['run', 'work', '--', 'qvm-copy', '/tmp/page.txt']);
    const card = await page.waitForSelector('[data-ask]', { timeout: 20_000 });
    const shown = Date.now() - t0;
    assert.match((await card.textContent()) ?? '', /work wants to call qubes\.Filecopy/);
    await page.selectOption('[data-testid=ask-target]', 'personal');
    await shot('ask');
    await page.click('[data-testid=ask-allow]');
    const r = await call;
    assert.equal(r.code, 0, r.stderr);
    const got = withPrivateTree(join(d.home, 'qubes', 'personal'), (t) => readFileSync(join(t, 'home', 'user', 'QubesIncoming', 'work', 'page.txt'), 'utf8'));
    assert.equal(got, 'copied-through-the-page\n');
    await page.waitForSelector('[data-ask]', { state: 'detached' });
    process.stdout.write(`# ask shown in the page ${shown} ms after qvm-copy was started\n`);
  });

  it("a qube's text that looks like markup is shown as text, and no script runs", async () => {
    const call = cliAsync(d, ['run', 'work', '--', 'qrexec-client-vm', XSS, 'qubes.Filecopy']);
    const card = await page.waitForSelector('[data-ask]', { timeout: 20_000 });
    assert.ok(((await card.textContent()) ?? '').includes(XSS), 'the literal text is shown');
    assert.equal(await page.$$eval('img', (i) => i.length), 0, 'no element was made from it');
    await shot('ask-markup');
    await page.click('[data-testid=ask-deny]');
    assert.equal((await call).code, 126);
    await page.click('a[data-tab=events]');
    await page.waitForFunction((x) => document.querySelector('[data-testid=audit]')?.textContent?.includes(x), XSS);
    assert.equal(await page.$$eval('img', (i) => i.length), 0);
    assert.deepEqual(dialogs, [], 'no dialog fired');
  });

  it("the dashboard port is not reachable from a qube: no route to the host's loopback, every connect fails", () => {
    const routes = d.run('work', ['ip', '-4', 'route', 'show', 'table', 'all']);
    assert.equal(routes.code, 0, routes.stderr);
    // Local routes of its own loopback and eth0 only; the default goes to sys-firewall.
    const def = routes.stdout.split('\n').filter((l) => l.startsWith('default'));
    assert.equal(def.length, 1, routes.stdout);
    assert.match(def[0] as string, /via 10\.137\.\d+\.\d+ dev eth0/);
    const links = d.run('work', ['ip', '-o', 'link']).stdout;
    assert.deepEqual(
      links
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(':')[1]?.trim().split('@')[0]),
      ['lo', 'eth0'],
      'only its loopback and its link to sys-firewall',
    );
    // The host's own addresses (the dashboard listens on none of them but 127.0.0.1; still, none is reachable).
    const addrs = new Set<string>(['127.0.0.1']);
    const host = JSON.parse(spawnSync('ip', ['-j', '-4', 'addr', 'show'], { encoding: 'utf8' }).stdout || '[]') as { addr_info: { local: string }[] }[];
    for (const l of host) for (const a of l.addr_info ?? []) addrs.add(a.local);
    const probe = `
import socket, sys
for a in sys.argv[1:]:
    s = socket.socket(); s.settimeout(2)
    try:
        s.connect((a, ${port})); print(a, 'connected')
    except Exception as e:
        print(a, 'failed', type(e).__name__)
`;
    const r = d.run('work', ['python3', '-c', probe, ...addrs]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, addrs.size, r.stdout);
    for (const l of lines) assert.match(l, / failed /, l);
  });

  it('the daemon stops at once while a page holds the event stream; the page shows it lost the stream', async () => {
    await page.waitForSelector('[data-testid=live].on');
    const t0 = Date.now();
    d.ok(['daemon', 'stop']);
    const took = Date.now() - t0;
    assert.ok(took < 10_000, `daemon stop took ${took} ms`);
    await page.waitForSelector('[data-testid=live].off');
    d.start();
    // Sessions live in the daemon's memory: after a restart the old cookie opens nothing.
    const cookie = `bh_dashboard=${(await ctx.cookies(base)).find((x) => x.name === 'bh_dashboard')?.value}`;
    // The dashboard listens again a moment after the admin socket (the port is in the state).
    let r: { status: number; body: string } | null = null;
    for (let i = 0; i < 50 && !r; i++)
      r = await raw(port, 'GET', '/api/qubes', { cookie }).catch(() => new Promise<null>((res) => setTimeout(() => res(null), 100)));
    assert.ok(r, 'the dashboard listens again after the restart');
    assert.equal(r.status, 401);
  });
});
