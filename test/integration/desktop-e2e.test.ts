// The whole desktop with real qubes: `bulkhead run A -- xterm` on an admin Xvfb shows `[a] …` framed in A's colour through the
// window service started for that display; titles, full screen, keys typed with xdotool and the clipboard keys, end to end.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FRAME_PX, LABEL_COLOURS } from '../../src/desktop/index.js';
import { guiRecordFile } from '../../src/desktop/service-record.js';
import { livePid } from '../../src/exec/index.js';
import { TEST_DESKTOP_TARBALL } from '../support/cache.js';
import { ROOT, testDaemon, type TestDaemon } from './helpers/daemon.js';
import { installTestPolicy } from './helpers/policy.js';
import { pixelAt, startAdminDisplay, windowsOf, type AdminDisplay } from './helpers/xvfb.js';

const POLICY = `# desktop end-to-end rules
qubes.ClipboardPaste * @anyvm  a       deny
qubes.ClipboardPaste * @anyvm  @anyvm  allow
`;
const SHOTS = join(ROOT, 'test-results', 'desktop-e2e');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, fn: () => T | null | undefined | false, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('desktop end to end: real qubes on an admin Xvfb through bulkhead gui', { timeout: 300_000 }, () => {
  let d: TestDaemon;
  let screen: AdminDisplay;
  const bg: ChildProcess[] = [];
  const run = (q: string, ...argv: string[]): void =>
    void bg.push(spawn(join(ROOT, 'bin', 'bulkhead'), ['run', q, '--', ...argv], { env: d.env, stdio: 'ignore' }));
  const tree = () => windowsOf(screen.x('xwininfo', ['-root', '-tree']));
  /** Whether window `id` is shown; one destroyed since the tree was read is not (xwininfo then fails with "No such window"). */
  const viewable = (id: number) => {
    try {
      return /Map State: IsViewable/.test(screen.x('xwininfo', ['-id', String(id)]));
    } catch (e) {
      if (/No such window/.test((e as Error).message)) return false;
      throw e;
    }
  };
  /** The shown window titled `t` (xterm keeps its menus as unmapped windows of the same name). */
  const titled = (t: string) => tree().find((w) => w.title === t && viewable(w.id));
  /** xclip's clipboard in a qube, read on its own display. */
  /** What the window service for the test display logged (its actions and refusals). */
  const guiLog = () =>
    readdirSync(join(d.home, 'run', 'gui'))
      .filter((f) => f.endsWith('.log'))
      .map((f) => readFileSync(join(d.home, 'run', 'gui', f), 'utf8'))
      .join('');
  const clipIn = (q: string) => d.cli(['run', q, '--', 'sh', '-c', 'DISPLAY=:0 xclip -selection clipboard -o 2>/dev/null; true']).stdout;

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    d = testDaemon('dske2e');
    installTestPolicy(d.home, POLICY);
    d.start();
    d.ok(['template', 'import', 'debian-12', TEST_DESKTOP_TARBALL], undefined, 300_000);
    d.ok(['create', 'a', '--template', 'debian-12', '--label', 'blue']);
    d.ok(['create', 'b', '--template', 'debian-12', '--label', 'red']);
    d.ok(['start', 'a', 'b']);
    screen = await startAdminDisplay(1280, 1024);
    d.env.DISPLAY = screen.display;
  });

  after(async () => {
    for (const p of bg) if (p.exitCode === null) p.kill('SIGKILL');
    const gui = screen ? livePid(guiRecordFile(screen.display, join(d.home, 'run'))) : null;
    if (gui) process.kill(gui, 'SIGTERM');
    if (process.env.DESKTOP_E2E_LOG) {
      cpSync(join(d.home, 'run', 'gui'), process.env.DESKTOP_E2E_LOG, { recursive: true });
      cpSync(join(d.home, 'bulkheadd.log'), join(process.env.DESKTOP_E2E_LOG, 'bulkheadd.log'));
    }
    await d?.destroy();
    await screen?.stop();
  });

  it("`bulkhead run a -- xterm` shows `[a] …` in a's colour on all four sides, drawn by the window service it started", async () => {
    run('a', 'xterm', '-geometry', '80x24+40+40', '-T', 'hello');
    const w = await until('[a] hello', () => titled('[a] hello'));
    assert.ok(livePid(guiRecordFile(screen.display, join(d.home, 'run'))), 'a window service for the display');
    await sleep(1000);
    const shot = screen.screenshot(join(SHOTS, 'xterm-a.png'));
    for (let dd = 0; dd < FRAME_PX; dd++) {
      for (let x = w.x; x < w.x + w.width; x += 7) {
        assert.equal(pixelAt(shot, x, w.y + dd), LABEL_COLOURS.blue, `top ${x}`);
        assert.equal(pixelAt(shot, x, w.y + w.height - 1 - dd), LABEL_COLOURS.blue, `bottom ${x}`);
      }
      for (let y = w.y; y < w.y + w.height; y += 7) {
        assert.equal(pixelAt(shot, w.x + dd, y), LABEL_COLOURS.blue, `left ${y}`);
        assert.equal(pixelAt(shot, w.x + w.width - 1 - dd, y), LABEL_COLOURS.blue, `right ${y}`);
      }
    }
    // xterm's own pixels are inside: not all one colour.
    const inside = new Set<number>();
    for (let x = w.x + FRAME_PX; x < w.x + w.width - FRAME_PX; x += 3) inside.add(pixelAt(shot, x, w.y + FRAME_PX + 8));
    assert.ok(inside.size > 1 || !inside.has(LABEL_COLOURS.blue), "the content is the qube's");
  });

  it('a forged title keeps the real prefix; full screen is refused and a window larger than the screen is cut, framed', async () => {
    run('a', 'xterm', '-geometry', '40x5+600+40', '-T', '[b] forged');
    await until('[a] [b] forged', () => titled('[a] [b] forged'));
    assert.equal(titled('[b] forged'), undefined);
    // 300 columns by 150 rows (about 1800 x 1950 pixels) is wider and taller than the admin screen; -fullscreen asks for the whole of it.
    run('b', 'xterm', '-fullscreen', '-geometry', '300x150+0+0', '-T', 'full');
    const w = await until('[b] full', () => titled('[b] full'));
    assert.deepEqual([w.x, w.y, w.width, w.height], [0, 0, 1280, 1024]);
    assert.match(screen.x('xprop', ['-id', String(w.id), '_NET_WM_STATE']), /not found|no such atom/);
    await sleep(1000);
    const shot = screen.screenshot(join(SHOTS, 'fullscreen-b.png'));
    for (const [x, y] of [
      [1, 512],
      [1278, 512],
      [640, 1],
      [640, 1022],
    ] as const)
      assert.equal(pixelAt(shot, x, y), LABEL_COLOURS.red, `(${x},${y})`);
    // Out of the way of the next tests: CLOSE through the frame as a window manager would send it.
    d.ok(['run', 'b', '--', 'sh', '-c', 'pkill -x xterm || true']);
    await until('[b] full gone', () => !titled('[b] full'));
  });

  it("keys typed with xdotool into a's window reach a (read back inside a) and nothing reaches b", async () => {
    const w = titled('[a] hello')!;
    screen.x('xdotool', ['windowfocus', '--sync', String(w.id)]);
    await sleep(300);
    screen.x('xdotool', ['type', '--delay', '30', 'echo typed-in-a > /tmp/k\n']);
    await until('/tmp/k in a', () => d.cli(['run', 'a', '--', 'cat', '/tmp/k']).stdout === 'typed-in-a\n');
    assert.notEqual(d.cli(['run', 'b', '--', 'test', '-e', '/tmp/k']).code, 0, 'nothing in b');
  });

  it('the clipboard crosses only with Ctrl-Shift-C and Ctrl-Shift-V, and only where the policy allows', async () => {
    d.ok(['run', 'a', '--', 'sh', '-c', 'printf from-a | DISPLAY=:0 xclip -selection clipboard -i >/dev/null 2>&1']);
    run('b', 'xterm', '-geometry', '40x5+40+600', '-T', 'see');
    const wb = await until('[b] see', () => titled('[b] see'));
    const wa = titled('[a] hello')!;
    await sleep(500);
    assert.equal(clipIn('b'), '', 'nothing crosses without the keys');
    // Ctrl-Shift-C in a, Ctrl-Shift-V in b: the policy allows b.
    screen.x('xdotool', ['windowfocus', '--sync', String(wa.id)]);
    screen.x('xdotool', ['key', 'ctrl+shift+c']);
    await sleep(500);
    screen.x('xdotool', ['windowfocus', '--sync', String(wb.id)]);
    screen.x('xdotool', ['key', 'ctrl+shift+v']);
    await until('from-a in b', () => clipIn('b') === 'from-a');
    // b's own clipboard, Ctrl-Shift-C in b, Ctrl-Shift-V in a: the policy denies a, whose clipboard stays its own.
    d.ok(['run', 'b', '--', 'sh', '-c', 'printf from-b | DISPLAY=:0 xclip -selection clipboard -i >/dev/null 2>&1']);
    screen.x('xdotool', ['key', 'ctrl+shift+c']);
    await sleep(500);
    screen.x('xdotool', ['windowfocus', '--sync', String(wa.id)]);
    screen.x('xdotool', ['key', 'ctrl+shift+v']);
    // Refused by the policy (not for want of a clipboard): the window service logs the daemon's reason.
    await until('the refusal', () => /clipboard paste a refused: .*qubes\.ClipboardPaste from 'b' to 'a' refused/.test(guiLog()), 10_000).catch((e: Error) => {
      throw new Error(`${e.message}: ${guiLog()}`);
    });
    assert.match(guiLog(), /clipboard copy b\n/);
    assert.equal(clipIn('a'), 'from-a', 'the paste into a was refused');
    // xclip's short-lived windows in a and b (paste, read) left both displays up.
    assert.doesNotMatch(guiLog(), /display of \w+ closed/);
    screen.screenshot(join(SHOTS, 'two-qubes.png'));
  });

  // Last: releasing the button may pick an entry of xterm's menu, whatever it does to a's xterm.
  it("a's popup menu (xterm's Ctrl-click menu, override-redirect in a) is framed in a's colour and on the screen", async () => {
    const w = titled('[a] hello')!;
    screen.x('xdotool', ['windowfocus', '--sync', String(w.id)]);
    screen.x('xdotool', ['mousemove', String(w.x + 100), String(w.y + 100)]);
    screen.x('xdotool', ['keydown', 'ctrl', 'mousedown', '1']);
    try {
      const before = new Set([titled('[a] hello')!.id, titled('[a] [b] forged')!.id]);
      const menu = await until('a popup of a', () =>
        tree().find((t) => t.title.startsWith('[a] ') && !before.has(t.id) && t.width > 20 && viewable(t.id)),
      ).catch((e: Error) => {
        throw new Error(`${e.message}: ${JSON.stringify(tree().map((t) => ({ ...t, viewable: viewable(t.id) })))}`);
      });
      assert.ok(menu.x >= 0 && menu.y >= 0 && menu.x + menu.width <= 1280 && menu.y + menu.height <= 1024, JSON.stringify(menu));
      assert.match(screen.x('xwininfo', ['-id', String(menu.id)]), /Override Redirect State: yes/);
      await sleep(500);
      const shot = screen.screenshot(join(SHOTS, 'popup-a.png'));
      for (const [x, y] of [
        [menu.x, menu.y + Math.floor(menu.height / 2)],
        [menu.x + menu.width - 1, menu.y + Math.floor(menu.height / 2)],
        [menu.x + Math.floor(menu.width / 2), menu.y],
        [menu.x + Math.floor(menu.width / 2), menu.y + menu.height - 1],
      ] as const)
        assert.equal(pixelAt(shot, x, y), LABEL_COLOURS.blue, `(${x},${y})`);
    } finally {
      spawnSync('xdotool', ['mouseup', '1', 'keyup', 'ctrl'], { env: screen.env });
    }
  });
});
