// Each qube's display, its agent and the daemon's relay, with real qubes: windows, keys, isolation, a hostile agent stream, a viewer in a disposable, the clipboard.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, testDaemon, type TestDaemon } from './helpers/daemon.js';
import { installTestPolicy } from './helpers/policy.js';
import { adminEvents, adminRequest, openDisplay, type TestDisplayClient } from './helpers/display-client.js';
import { TEST_DESKTOP_TARBALL } from '../support/cache.js';
import type { Message } from '../../src/desktop/protocol/index.js';

const POLICY = `# desktop test rules
qubes.ClipboardPaste * @anyvm  b       deny
qubes.ClipboardPaste * @anyvm  @anyvm  allow
qubes.OpenInVM       * @anyvm  @dispvm allow
`;

type Create = Extract<Message, { kind: 'create' }>;
type Title = Extract<Message, { kind: 'title' }>;
type Sized = Extract<Message, { kind: 'create' | 'configure' }>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A CLI call that runs in the background (a window stays open while it runs). */
function cliBg(d: TestDaemon, args: string[]): ChildProcess {
  return spawn(join(ROOT, 'bin', 'bulkhead'), args, { env: d.env, stdio: 'ignore' });
}

async function until<T>(what: string, fn: () => T | null | undefined | false, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** `bulkhead ARGS` without a display in its environment: `run` then leaves the qube's display alone. */
function noDisplay(d: TestDaemon, args: string[], input?: string): string {
  const r = spawnSync(join(ROOT, 'bin', 'bulkhead'), args, { env: { ...d.env, DISPLAY: '' }, input, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`bulkhead ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** The window whose title is `title` in what a client got. */
function windowTitled(c: TestDisplayClient, title: string): number | null {
  const t = c.messages.find((m): m is Title => m.kind === 'title' && m.title === title);
  return t ? t.window : null;
}

function typeText(c: TestDisplayClient, window: number, text: string): void {
  for (const ch of text) {
    const keysym = ch === '\n' ? 0xff0d : ch.codePointAt(0)!;
    c.send({ kind: 'key', window, keysym, pressed: true, state: 0 });
    c.send({ kind: 'key', window, keysym, pressed: false, state: 0 });
  }
}

describe('desktop: a display per qube', { timeout: 240_000 }, () => {
  let d: TestDaemon;
  const bg: ChildProcess[] = [];
  let adminDisplay: ChildProcess | null = null;
  const adminNum = 200 + (process.pid % 500);

  before(() => {
    d = testDaemon('desktop');
    installTestPolicy(d.home, POLICY);
    d.start();
    d.ok(['template', 'import', 'debian-12', TEST_DESKTOP_TARBALL], undefined, 300_000);
    d.ok(['create', 'a', '--template', 'debian-12', '--label', 'blue']);
    d.ok(['create', 'b', '--template', 'debian-12', '--label', 'red']);
    d.ok(['create', 'c', '--template', 'debian-12', '--label', 'green']);
    d.ok(['create', 'dvm', '--template', 'debian-12', '--label', 'orange', '--prop', 'template_for_dispvms=true']);
    d.ok(['global', 'default_dispvm', 'dvm']);
    d.ok(['start', 'a', 'b', 'c']);
    // The admin's own display (as on a desktop): a qube must not reach it by any socket.
    adminDisplay = spawn('Xvfb', [`:${adminNum}`, '-nolisten', 'tcp', '-screen', '0', '640x480x24'], { stdio: 'ignore' });
    // With a display in its environment, `bulkhead run` starts the qube's display and gives the command DISPLAY=:0.
    d.env.DISPLAY = `:${adminNum}`;
  });

  after(async () => {
    for (const p of bg) if (p.exitCode === null) p.kill('SIGKILL');
    // `bulkhead run` with DISPLAY set started the window service (bulkhead gui) for the admin display.
    if (d) d.cli(['gui', '--stop', '--display', `:${adminNum}`]);
    // SIGTERM: Xvfb removes its socket and lock file; only if it will not go, SIGKILL and remove them here.
    if (adminDisplay?.pid && adminDisplay.exitCode === null) {
      const gone = new Promise<boolean>((r) => {
        adminDisplay!.once('exit', () => r(true));
        setTimeout(() => r(false), 5000);
      });
      adminDisplay.kill('SIGTERM');
      if (!(await gone)) {
        adminDisplay.kill('SIGKILL');
        rmSync(`/tmp/.X11-unix/X${adminNum}`, { force: true });
        rmSync(`/tmp/.X${adminNum}-lock`, { force: true });
      }
    }
    await d?.destroy();
  });

  it("shows A's xterm to a display client: CREATE, TITLE, MAP and its pixels, opened by QUBE with A's colour", async () => {
    const started = await adminRequest(d.home, 'POST', '/qubes/a/display');
    assert.deepEqual(started, { status: 200, body: { display: ':0' } });
    const c = await openDisplay(d.home, 'a');
    const qube = await c.waitFor('QUBE', (m) => m.kind === 'qube');
    assert.deepEqual(qube, { kind: 'qube', window: 0, name: 'a', colour: 0x3465a4 });
    assert.equal(c.messages[0]!.kind, 'qube', 'the stream opens with QUBE');
    await c.waitFor('HELLO', (m) => m.kind === 'hello');
    bg.push(cliBg(d, ['run', 'a', '--', 'xterm', '-T', 'hello']));
    const title = (await c.waitFor('TITLE hello', (m) => m.kind === 'title' && m.title === 'hello')) as Title;
    assert.ok(
      c.messages.some((m): m is Create => m.kind === 'create' && m.window === title.window),
      'CREATE before TITLE',
    );
    await c.waitFor('MAP', (m) => m.kind === 'map' && m.window === title.window);
    const px = await c.waitFor('PIXELS', (m) => m.kind === 'pixels' && m.window === title.window && m.width > 50 && m.height > 50);
    assert.ok(px.kind === 'pixels' && c.pixelBytes >= px.width * px.height * 4, 'a real window with its pixels');
    const list = (await adminRequest(d.home, 'GET', '/displays')).body as { displays: { qube: string; colour: string }[] };
    assert.deepEqual(
      list.displays.map((x) => [x.qube, x.colour]),
      [['a', '#3465a4']],
    );
    c.close();
  });

  it("keys sent as KEY messages reach A's xterm: a command typed there runs in A", async () => {
    const c = await openDisplay(d.home, 'a');
    const w = await until('the hello window', () => windowTitled(c, 'hello'));
    c.send({ kind: 'focus', window: w, focused: true });
    typeText(c, w, 'echo hi-from-keys > /tmp/k\n');
    await until('/tmp/k in a', () => d.cli(['run', 'a', '--', 'cat', '/tmp/k']).stdout === 'hi-from-keys\n', 15_000);
    c.close();
  });

  it("B's display lists none of A's windows, and B reaches neither A's display nor the admin's by any socket", async () => {
    assert.equal((await adminRequest(d.home, 'POST', '/qubes/b/display')).status, 200);
    const cb = await openDisplay(d.home, 'b');
    bg.push(cliBg(d, ['run', 'b', '--', 'xterm', '-T', 'bee']));
    await until("b's window", () => windowTitled(cb, 'bee'));
    const ca = await openDisplay(d.home, 'a');
    await until("a's window", () => windowTitled(ca, 'hello'));
    await sleep(500);
    const titles = (c: TestDisplayClient) => c.messages.filter((m): m is Title => m.kind === 'title').map((m) => m.title);
    assert.ok(!titles(cb).includes('hello'), `b's stream: ${titles(cb).join(', ')}`);
    assert.ok(!titles(ca).includes('bee'), `a's stream: ${titles(ca).join(', ')}`);
    const idsA = new Set(ca.messages.filter((m) => m.kind === 'create').map((m) => m.window));
    assert.equal(cb.messages.filter((m) => m.kind === 'create' && idsA.has(m.window) && windowTitled(cb, 'bee') !== m.window).length, 0);
    // Inside B: its :0 is its own server (only its own windows); A's socket file and the admin's are not in its
    // mount namespace; the abstract sockets of A and of the admin are in other network namespaces.
    const probe = `
import socket, sys
from Xlib import display
names = []
for w in display.Display(':0').screen().root.query_tree().children:
    n = w.get_wm_name()
    if n: names.append(n if isinstance(n, str) else n.decode())
print('titles', sorted(names))
import os
print('files', sorted(os.listdir('/tmp/.X11-unix')))
for path in ['/tmp/.X11-unix/X${adminNum}', chr(0) + '/tmp/.X11-unix/X${adminNum}']:
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(path); print('connected', repr(path))
    except OSError as e:
        print('refused', repr(path), e.errno)
`;
    const out = d.ok(['run', 'b', '--', 'python3', '-c', probe]);
    assert.match(out, /titles \[.*'bee'.*\]/);
    assert.doesNotMatch(out, /hello/);
    assert.match(out, /files \['X0'\]/);
    assert.match(out, /refused '\/tmp\/.X11-unix\/X\d+' 2\n/, 'ENOENT: the admin socket file is not in the mount namespace');
    assert.match(out, /refused '\\x00\/tmp\/.X11-unix\/X\d+' 111\n/, 'ECONNREFUSED: the admin abstract socket is in another netns');
    assert.doesNotMatch(out, /connected/);
    // A's display has no abstract socket at all (-nolisten local): only its file, in its own mount namespace.
    const unixA = d.ok(['run', 'a', '--', 'sh', '-c', 'grep X11 /proc/net/unix || true']);
    assert.match(unixA, / \/tmp\/\.X11-unix\/X0\n/);
    assert.doesNotMatch(unixA, /@\/tmp\/\.X11-unix/);
    // The same connections from the host do work: the probe could tell.
    const host = spawnSync(
      'python3',
      [
        '-c',
        `import socket\nfor p in ['/tmp/.X11-unix/X${adminNum}', '\\0/tmp/.X11-unix/X${adminNum}']:\n  s=socket.socket(socket.AF_UNIX); s.connect(p); print('ok')`,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(host.stdout, 'ok\nok\n', host.stderr);
    ca.close();
    cb.close();
  });

  it("a malformed agent stream (the qube's root controls the code its agent runs) ends that display with ERR_DISPLAY_PROTOCOL; the daemon keeps serving", async () => {
    const ev = adminEvents(d.home);
    const c = await openDisplay(d.home, 'a');
    await c.waitFor('HELLO', (m) => m.kind === 'hello');
    // Root in A makes every python3 that runs the display agent write a message type that does not exist.
    const evil = "import os\nif b'bulkhead-display-agent' in open('/proc/self/cmdline','rb').read():\n    os.write(1, b'\\xff\\xff\\xff\\x7fAAAAAAAA')\n";
    noDisplay(
      d,
      ['run', '--user', 'root', 'a', '--', 'sh', '-c', 'cat > "$(python3 -c "import sysconfig; print(sysconfig.get_path(\'stdlib\'))")/sitecustomize.py"'],
      evil,
    );
    // The running agent is ended from inside A (its own process): the display stops and its clients are closed.
    noDisplay(d, ['run', 'a', '--', 'sh', '-c', 'kill $(pgrep -f "python3 [/]run/bulkhead/bin/bulkhead-display-agent")']);
    await c.closed;
    await until('display-stopped', () => ev.events.find((e) => e.event === 'display-stopped' && e.data.qube === 'a'));
    const again = await adminRequest(d.home, 'POST', '/qubes/a/display');
    assert.equal(again.status, 400, JSON.stringify(again.body));
    assert.match(JSON.stringify(again.body), /ERR_DISPLAY_PROTOCOL.*type: 2147483647 is not a message from-agent/);
    const stopped = await until('display-stopped with the fault', () =>
      ev.events.find((e) => e.event === 'display-stopped' && e.data.qube === 'a' && /ERR_DISPLAY_PROTOCOL/.test(String(e.data.reason))),
    );
    assert.match(String(stopped.data.reason), /^ERR_DISPLAY_PROTOCOL: display protocol: type: 2147483647 is not a message from-agent/);
    ev.stop();
    const list = (await adminRequest(d.home, 'GET', '/displays')).body as { displays: { qube: string }[] };
    assert.ok(!list.displays.some((x) => x.qube === 'a'));
    assert.equal(d.cli(['ls']).code, 0, 'the daemon still serves');
    // Without the planted code, A's display starts cleanly again.
    noDisplay(d, [
      'run',
      '--user',
      'root',
      'a',
      '--',
      'sh',
      '-c',
      'rm "$(python3 -c "import sysconfig; print(sysconfig.get_path(\'stdlib\'))")/sitecustomize.py"',
    ]);
    assert.equal((await adminRequest(d.home, 'POST', '/qubes/a/display')).status, 200);
    const c2 = await openDisplay(d.home, 'a');
    await c2.waitFor('HELLO', (m) => m.kind === 'hello');
    c2.close();
  });

  it("apps come from the template's root, not from the qube's: listed with Name, started with --app", async () => {
    // Root in A plants an entry in A's own root: it is not the template's, so it is not listed.
    noDisplay(d, [
      'run',
      '--user',
      'root',
      'a',
      '--',
      'sh',
      '-c',
      'printf "[Desktop Entry]\\nType=Application\\nName=Planted\\nExec=id\\n" > /usr/share/applications/planted.desktop',
    ]);
    const apps = JSON.parse(d.ok(['apps', 'a', '--json'])) as { template: string; apps: { id: string; name: string; argv: string[] }[] };
    assert.equal(apps.template, 'debian-12');
    const xterm = apps.apps.find((x) => x.id === 'debian-xterm');
    assert.deepEqual(xterm && { name: xterm.name, argv: xterm.argv }, { name: 'XTerm', argv: ['xterm'] });
    assert.ok(!apps.apps.some((x) => x.name === 'Planted'), "a file in the qube's own root is never read");
    assert.match(d.ok(['apps', 'a']), /^debian-xterm\s+XTerm$/m);
    const c = await openDisplay(d.home, 'a');
    await c.waitFor('HELLO', (m) => m.kind === 'hello');
    const from = c.messages.length;
    const run = cliBg(d, ['run', 'a', '--app', 'XTerm']);
    bg.push(run);
    const t = (await c.waitFor('the app window', (m) => m.kind === 'title' && m.title === 'xterm', 20_000, from)) as Title;
    await c.waitFor('its MAP', (m) => m.kind === 'map' && m.window === t.window, 20_000, from);
    c.send({ kind: 'close', window: t.window });
    await new Promise<void>((r) => (run.exitCode !== null ? r() : run.on('exit', () => r())));
    await c.waitFor('DESTROY', (m) => m.kind === 'destroy' && m.window === t.window, 20_000, from);
    c.close();
    assert.match(d.cli(['run', 'a', '--app', 'nope']).stderr, /'a' has no application 'nope'/);
  });

  it('qvm-open-in-dvm of a PDF in A shows it in a window of a new disposable, which is gone once that window is closed', async () => {
    d.ok(['run', 'a', '--', 'sh', '-c', `printf '%s' '${PDF}' > /tmp/doc.pdf`]);
    const before = new Set((JSON.parse(d.ok(['ls', '--json'])) as { name: string }[]).map((q) => q.name));
    const open = cliBg(d, ['run', 'a', '--', 'qvm-open-in-dvm', '/tmp/doc.pdf']);
    bg.push(open);
    const disp = await until(
      "the disposable's display",
      () => {
        const l = spawnSync('curl', ['-s', '--unix-socket', join(d.home, 'admin', 'admin.sock'), 'http://b/displays'], { encoding: 'utf8' });
        return (JSON.parse(l.stdout || '{"displays":[]}') as { displays: { qube: string; colour: string }[] }).displays.find((x) => !before.has(x.qube));
      },
      40_000,
    );
    assert.equal(disp.colour, '#f57900', "the disposable's label is its template's");
    const c = await openDisplay(d.home, disp.qube);
    const t = (await c.waitFor('the viewer window', (m) => m.kind === 'title' && /doc\.pdf/.test(m.title), 30_000)) as Title;
    await c.waitFor('its pixels', (m) => m.kind === 'pixels' && m.window === t.window);
    c.send({ kind: 'close', window: t.window });
    await new Promise<void>((r) => (open.exitCode !== null ? r() : open.on('exit', () => r())));
    assert.equal(open.exitCode, 0);
    await c.closed;
    const after = (JSON.parse(d.ok(['ls', '--json'])) as { name: string }[]).map((q) => q.name);
    assert.ok(!after.includes(disp.qube), `${disp.qube} is gone`);
  });

  it('the clipboard: an X selection copied in A reaches C by the admin action, and not B (policy deny)', async () => {
    d.ok(['run', 'a', '--', 'sh', '-c', 'printf "from-x-in-a" | DISPLAY=:0 xclip -selection clipboard -i >/dev/null 2>&1']);
    assert.match(d.ok(['clipboard', 'copy', 'a']), /copied 11 bytes from a/);
    const denied = d.cli(['clipboard', 'paste', 'b']);
    assert.notEqual(denied.code, 0);
    const inB = d.cli(['run', 'b', '--', 'sh', '-c', 'DISPLAY=:0 xclip -selection clipboard -o 2>/dev/null; true']);
    assert.equal(inB.stdout, '', 'nothing reached B');
    d.ok(['run', 'c', '--', 'true']); // starts C's display (DISPLAY is set)
    assert.match(d.ok(['clipboard', 'paste', 'c']), /pasted 11 bytes from a into c/);
    const inC = await until('the X selection in c', () => {
      const r = d.cli(['run', 'c', '--', 'sh', '-c', 'DISPLAY=:0 xclip -selection clipboard -o 2>/dev/null']);
      return r.stdout === 'from-x-in-a' ? r.stdout : null;
    });
    assert.equal(inC, 'from-x-in-a');
  });

  it('windows that vanish while the agent looks at them (xclip, any short-lived client) and a window past 3840 x 2160 keep the display up', async () => {
    d.ok(['run', 'c', '--', 'true']); // C's display (DISPLAY is set)
    const c = await openDisplay(d.home, 'c');
    await c.waitFor('HELLO', (m) => m.kind === 'hello');
    // Windows destroyed 0 to 3 ms after they are made, with titles: each vanishes somewhere in the agent's look at a new window.
    const churn = [
      'import random, time',
      'from Xlib import display',
      "d = display.Display(':0')",
      'r = d.screen().root',
      'for i in range(300):',
      '    w = r.create_window(0, 0, 10, 10, 0, 0)',
      "    w.set_wm_name('churn')",
      '    d.flush()',
      '    time.sleep(random.random() * 0.003)',
      '    w.destroy()',
      '    d.flush()',
      'd.close()',
    ].join('\n');
    noDisplay(d, ['run', 'c', '--', 'python3', '-c', churn]);
    for (let i = 0; i < 20; i++) noDisplay(d, ['run', 'c', '--', 'sh', '-c', 'DISPLAY=:0 xclip -selection clipboard -o >/dev/null 2>&1; true']);
    // An honest big window (about 2400 x 2600 pixels): the agent brings it within the limit instead of reporting what the daemon refuses.
    const from = c.messages.length;
    bg.push(cliBg(d, ['run', 'c', '--', 'xterm', '-geometry', '400x200+0+0', '-T', 'big']));
    const t = (await c.waitFor('TITLE big', (m) => m.kind === 'title' && m.title === 'big', 20_000, from)) as Title;
    await c.waitFor("big's pixels", (m) => m.kind === 'pixels' && m.window === t.window, 20_000, from);
    await sleep(500);
    const sizes = c.messages.filter((m): m is Sized => (m.kind === 'create' || m.kind === 'configure') && m.window === t.window);
    assert.ok(sizes.length > 0);
    for (const m of sizes) assert.ok(m.width <= 3840 && m.height <= 2160, JSON.stringify(m));
    const still = await Promise.race([c.closed.then(() => 'closed'), sleep(200).then(() => 'open')]);
    assert.equal(still, 'open', "C's display is still up");
    const list = (await adminRequest(d.home, 'GET', '/displays')).body as { displays: { qube: string }[] };
    assert.ok(
      list.displays.some((x) => x.qube === 'c'),
      JSON.stringify(list),
    );
    c.close();
  });
});

/** A one-page PDF (no binary bytes), enough for a viewer to open. */
const PDF = [
  '%PDF-1.1',
  '1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj',
  '2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj',
  '3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >> endobj',
  '4 0 obj << /Length 44 >> stream',
  'BT /F1 24 Tf 20 40 Td (hello pdf) Tj ET',
  'endstream endobj',
  '5 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj',
  'trailer << /Root 1 0 R >>',
  '%%EOF',
].join('\n');
