// The Windows view: a running qube's windows, each on its own canvas inside a frame of the qube's label colour, with keyboard and pointer for the focused one.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, errorMessage, type Qube } from '../api';
import { DisplaySession, type DisplaySnapshot, type WindowView } from '../display/session';
import { keysymOf, modifierState, x11Button } from '../../../src/desktop/page/input';
import { clipboardKey } from '../../../src/desktop/window/keys';

/** The frame drawn by the page around every window and popup, outside the qube's pixels. */
const FRAME_PX = 4;
const TITLE_PX = 24;

interface FrameProps {
  w: WindowView;
  qube: string;
  colour: string;
  session: DisplaySession;
  /** What a clipboard key did (or why it failed), shown above the windows. */
  onNotice: (text: string) => void;
}

function WindowFrame({ w, qube, colour, session, onNotice }: FrameProps) {
  const id = w.window;
  const pos = (c: HTMLCanvasElement, e: MouseEvent) => {
    const r = c.getBoundingClientRect();
    return { x: Math.round(e.clientX - r.left), y: Math.round(e.clientY - r.top) };
  };
  const focused = (c: EventTarget | null) => c instanceof HTMLCanvasElement && document.activeElement === c;
  const key = (pressed: boolean) => (e: KeyboardEvent) => {
    const keysym = keysymOf(e.key);
    if (keysym === null) return;
    e.preventDefault();
    const state = modifierState(e);
    // Ctrl-Shift-C/V are the admin's clipboard keys: taken here, never sent to the qube (docs/desktop-protocol.md).
    const clip = clipboardKey(keysym, state);
    if (clip) {
      if (pressed)
        (clip === 'copy' ? api.clipboardCopy(qube) : api.clipboardPaste(qube))
          .then((r) => onNotice(clip === 'copy' ? `Copied ${r.bytes} bytes from ${r.source}.` : `Pasted ${r.bytes} bytes from ${r.source} into ${qube}.`))
          .catch((e: unknown) => onNotice(`Clipboard ${clip}: ${errorMessage(e)}`));
      return;
    }
    session.send({ kind: 'key', window: id, keysym, pressed, state });
  };
  const button = (pressed: boolean) => (e: MouseEvent) => {
    const b = x11Button(e.button);
    const c = e.currentTarget as HTMLCanvasElement;
    if (pressed) c.focus();
    if (b === null || !focused(c)) return;
    session.send({ kind: 'button', window: id, button: b, pressed, ...pos(c, e) });
  };
  return (
    <div
      class={w.popup ? 'qwin popup' : 'qwin'}
      data-testid="qube-window"
      data-window={String(id)}
      style={{ left: `${Math.max(0, w.x)}px`, top: `${Math.max(0, w.y)}px`, borderColor: colour, borderWidth: `${FRAME_PX}px`, zIndex: w.popup ? 2 : 1 }}
    >
      {w.popup ? null : (
        <div class="qwin-title" style={{ background: colour, height: `${TITLE_PX}px` }}>
          <span class="qwin-name" data-testid="window-title">
            {w.shownTitle}
          </span>
          <button class="qwin-close" title="Close this window" onClick={() => session.send({ kind: 'close', window: id })} data-testid="window-close">
            ×
          </button>
        </div>
      )}
      <canvas
        width={w.width}
        height={w.height}
        tabIndex={0}
        data-testid="window-canvas"
        ref={(c) => session.canvas(id, c)}
        onFocus={() => session.send({ kind: 'focus', window: id, focused: true })}
        onBlur={() => session.send({ kind: 'focus', window: id, focused: false })}
        onKeyDown={key(true)}
        onKeyUp={key(false)}
        onMouseDown={button(true)}
        onMouseUp={button(false)}
        onMouseMove={(e) => {
          const c = e.currentTarget as HTMLCanvasElement;
          if (focused(c)) session.send({ kind: 'motion', window: id, ...pos(c, e) });
        }}
        onWheel={(e) => {
          const c = e.currentTarget as HTMLCanvasElement;
          if (!focused(c)) return;
          e.preventDefault();
          const b = e.deltaY < 0 ? 4 : 5;
          session.send({ kind: 'button', window: id, button: b, pressed: true, ...pos(c, e) });
          session.send({ kind: 'button', window: id, button: b, pressed: false, ...pos(c, e) });
        }}
        onContextMenu={(e) => e.preventDefault()}
      />
    </div>
  );
}

function QubeScreen({ name }: { name: string }) {
  const [snap, setSnap] = useState<DisplaySnapshot | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const session = useRef<DisplaySession | null>(null);
  useEffect(() => {
    let live = true;
    setSnap(null);
    setError(null);
    // The display starts on demand (a change: through the API with the CSRF token); the stream only attaches.
    api
      .display(name)
      .then(() => {
        if (live) session.current = new DisplaySession(name, (s) => live && setSnap(s));
      })
      .catch((e: unknown) => live && setError(errorMessage(e)));
    return () => {
      live = false;
      session.current?.close();
      session.current = null;
    };
  }, [name]);

  if (error) return <div class="banner error">{error}</div>;
  if (!snap || !session.current) return <p class="muted">Opening the display of {name}…</p>;
  const mapped = snap.windows.filter((w) => w.mapped);
  const bottom = Math.max(200, ...mapped.map((w) => Math.max(0, w.y) + w.height + TITLE_PX + 2 * FRAME_PX));
  const right = Math.max(400, ...mapped.map((w) => Math.max(0, w.x) + w.width + 2 * FRAME_PX));
  return (
    <div>
      {snap.ended ? <div class="banner error">The display stream ended: {snap.ended}</div> : null}
      {notice ? (
        <div class="banner ok" data-testid="windows-notice">
          {notice}
        </div>
      ) : null}
      <p class="muted">
        {mapped.length} window{mapped.length === 1 ? '' : 's'} of {snap.qube}. Click a window to give it the keyboard and pointer.
      </p>
      <div class="qscreen" data-testid="qube-screen" style={{ width: `${right}px`, height: `${bottom}px` }}>
        {mapped.map((w) => (
          <WindowFrame key={w.window} w={w} qube={snap.qube ?? name} colour={snap.colour ?? '#000000'} session={session.current!} onNotice={setNotice} />
        ))}
      </div>
    </div>
  );
}

export function WindowsView({ qubes }: { qubes: Qube[] }) {
  const running = qubes.filter((q) => q.state === 'running' && q.qubesClass !== 'TemplateVM');
  const [open, setOpen] = useState<string | null>(null);
  return (
    <section class="panel">
      <div class="toolbar">
        <span>Show the windows of</span>
        {running.map((q) => (
          <button key={q.name} class={open === q.name ? 'primary' : ''} onClick={() => setOpen(q.name)} data-testid={`windows-open-${q.name}`}>
            {q.name}
          </button>
        ))}
        {running.length === 0 ? <span class="muted">no qube is running</span> : null}
      </div>
      {open ? <QubeScreen key={open} name={open} /> : <p class="muted">Pick a running qube: its display starts if it is not running yet.</p>}
    </section>
  );
}
