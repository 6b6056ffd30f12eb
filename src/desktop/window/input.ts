// Admin-side X events to the qube of the window they belong to: only for the focused window, clipboard keys kept back.
import type { ClientMessage } from '../protocol/index.js';
import type { XConnection } from '../x11/connection.js';
import { readKeyboard } from '../x11/connection.js';
import type { XEvent } from '../x11/raw.js';
import { FocusTracker } from './focus.js';
import { FRAME_PX, contentOfFrame } from './frame.js';
import { clipboardKey, keysymOf, type ClipboardAction } from './keys.js';
import type { QubeWindows } from './qube-windows.js';

interface Owner {
  qube: QubeWindows;
  win: number;
}

const REVERT_TO_PARENT = 2;

export class InputRouter {
  readonly focus = new FocusTracker();
  private readonly byFrame = new Map<number, Owner>();
  private readonly byContent = new Map<number, Owner>();
  /** Keycodes whose press was a clipboard key: their release is kept back too. */
  private readonly held = new Set<number>();

  constructor(
    private readonly xc: XConnection,
    private readonly clipboard: (action: ClipboardAction, qube: string) => void,
  ) {}

  add(frame: number, qube: QubeWindows, win: number): void {
    this.byFrame.set(frame, { qube, win });
    const w = qube.windowOf(win);
    if (w) this.byContent.set(w.content, { qube, win });
  }

  remove(frame: number): void {
    const o = this.byFrame.get(frame);
    const w = o?.qube.windowOf(o.win);
    if (w) this.byContent.delete(w.content);
    this.byFrame.delete(frame);
    this.focus.forget(frame);
  }

  /**
   * Pointer input for `frame`: the focused window, or a popup (menu) of the focused window's qube, which
   * takes clicks without taking the focus from the window that opened it (the keys stay with that window).
   */
  private pointerAllowed(frame: number): boolean {
    if (this.focus.allows(frame)) return true;
    const o = this.byFrame.get(frame);
    const f = this.focus.focused;
    return !!o && f !== null && o.qube.windowOf(o.win)?.popup === true && this.byFrame.get(f)?.qube === o.qube;
  }

  private to(frame: number, m: ClientMessage): void {
    this.byFrame.get(frame)?.qube.send(m);
  }

  private focusChange(prev: number | null, next: number | null): void {
    if (prev !== null && prev !== next) {
      const o = this.byFrame.get(prev);
      if (o) o.qube.send({ kind: 'focus', window: o.win, focused: false });
    }
    if (next !== null && prev !== next) {
      const o = this.byFrame.get(next);
      if (o) o.qube.send({ kind: 'focus', window: o.win, focused: true });
    }
  }

  handle(e: XEvent): void {
    if (e.name === 'MappingNotify') {
      void readKeyboard(this.xc.X, this.xc.keyboard.minKeycode, this.xc.keyboard.minKeycode + this.xc.keyboard.rows.length - 1).then((k) => {
        this.xc.keyboard = k;
      });
      return;
    }
    if (e.name === 'Expose') {
      const o = this.byContent.get(e.wid);
      o?.qube.windowOf(o.win)?.expose(e);
      return;
    }
    const o = this.byFrame.get(e.wid);
    if (!o) return;
    const win = o.win;
    switch (e.name) {
      case 'FocusIn': {
        const prev = this.focus.focused;
        if (this.focus.focusIn(e.wid, e.detail)) this.focusChange(prev, e.wid);
        return;
      }
      case 'FocusOut':
        if (this.focus.focusOut(e.wid, e.detail)) this.focusChange(e.wid, null);
        return;
      case 'KeyPress':
      case 'KeyRelease': {
        if (!this.focus.allows(e.wid)) return;
        const pressed = e.name === 'KeyPress';
        const keysym = keysymOf(this.xc.keyboard, e.keycode, e.buttons);
        if (pressed) {
          const action = clipboardKey(keysym, e.buttons);
          if (action) {
            this.held.add(e.keycode);
            this.clipboard(action, o.qube.qube);
            return;
          }
        } else if (this.held.delete(e.keycode)) return;
        if (keysym === 0) return;
        this.to(e.wid, { kind: 'key', window: win, keysym, pressed, state: e.buttons & 0xffff });
        return;
      }
      case 'ButtonPress':
      case 'ButtonRelease': {
        if (e.name === 'ButtonPress' && !this.pointerAllowed(e.wid)) {
          // Click to focus: the service gives the window focus itself (with or without a window manager).
          this.xc.X.SetInputFocus(e.wid, REVERT_TO_PARENT);
          const prev = this.focus.focused;
          if (this.focus.set(e.wid)) this.focusChange(prev, e.wid);
        }
        if (!this.pointerAllowed(e.wid) || e.keycode < 1 || e.keycode > 5) return;
        this.to(e.wid, { kind: 'button', window: win, button: e.keycode, pressed: e.name === 'ButtonPress', x: e.x - FRAME_PX, y: e.y - FRAME_PX });
        return;
      }
      case 'MotionNotify':
        if (this.pointerAllowed(e.wid)) this.to(e.wid, { kind: 'motion', window: win, x: e.x - FRAME_PX, y: e.y - FRAME_PX });
        return;
      case 'ConfigureNotify': {
        const w = o.qube.windowOf(win);
        if (!w) return;
        const size = contentOfFrame(e);
        const cut = { width: Math.min(size.width, this.xc.width - 2 * FRAME_PX), height: Math.min(size.height, this.xc.height - 2 * FRAME_PX) };
        if (cut.width === w.size.width && cut.height === w.size.height) return;
        // The admin (a window manager) resized the frame: the content follows and the qube is told.
        w.resizeContent(cut);
        this.to(e.wid, { kind: 'resize', window: win, ...cut });
        return;
      }
      case 'ClientMessage':
        if (e.message_type === this.xc.atoms.WM_PROTOCOLS && e.data[0] === this.xc.atoms.WM_DELETE_WINDOW) this.to(e.wid, { kind: 'close', window: win });
        return;
    }
  }
}
