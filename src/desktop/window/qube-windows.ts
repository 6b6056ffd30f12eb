// The windows of one qube on the admin display: applies the daemon's checked messages again (the admin side trusts no parser but its own) and draws them.
import { LIMITS, WindowTable, protocolError, type AgentMessage, type ClientMessage } from '../protocol/index.js';
import type { XConnection } from '../x11/connection.js';
import { AdminWindow } from './admin-window.js';
import { fitsPixelBudget, keepsOverrideRedirect, placeWindow, type Size } from './frame.js';
import { composeTitle } from './title.js';

export interface QubeWindowsHooks {
  /** A window of this qube got its frame (the service routes X events by frame id). */
  added(frame: number, owner: QubeWindows, win: number): void;
  removed(frame: number): void;
  /** After pixels are drawn (benchmarks and tests wait on it). */
  painted?(qube: string, win: number): void;
}

export class QubeWindows {
  private table = new WindowTable();
  private readonly shown = new Map<number, AdminWindow>();

  constructor(
    private readonly xc: XConnection,
    readonly qube: string,
    readonly colour: number,
    readonly send: (m: ClientMessage) => void,
    private readonly hooks: QubeWindowsHooks,
  ) {}

  windowOf(win: number): AdminWindow | undefined {
    return this.shown.get(win);
  }

  handle(m: AgentMessage): void {
    if (m.kind === 'hello') {
      // A second HELLO is a new agent in the qube: its windows start again.
      if (this.table.screen) this.clear();
      this.table.apply(m);
      return;
    }
    // A client that joins a running display may get the windows (REDRAW) without the agent's HELLO: the codec's bounds stand for its screen.
    if (!this.table.screen) this.table.screen = { width: LIMITS.maxWidth, height: LIMITS.maxHeight };
    this.table.apply(m);
    const screen = { width: this.xc.width, height: this.xc.height };
    switch (m.kind) {
      case 'create': {
        const parent = m.transientFor ? (this.shown.get(m.transientFor)?.frame ?? null) : null;
        const place = placeWindow(m, screen);
        this.budget(place.content);
        const popup = m.popup && keepsOverrideRedirect(place.content, screen);
        const w = new AdminWindow(this.xc, place, { qube: this.qube, colour: this.colour, popup, transientFor: parent });
        w.setTitle(composeTitle(this.qube, ''));
        this.shown.set(m.window, w);
        this.hooks.added(w.frame, this, m.window);
        return;
      }
      case 'configure': {
        const w = this.must(m.window);
        const place = placeWindow({ ...m, fullscreen: false }, screen);
        this.budget(place.content, w.size);
        w.place(place);
        return;
      }
      case 'map':
        this.must(m.window).map();
        return;
      case 'unmap':
        this.must(m.window).unmap();
        return;
      case 'destroy': {
        const w = this.must(m.window);
        this.shown.delete(m.window);
        this.hooks.removed(w.frame);
        w.destroy();
        return;
      }
      case 'title':
        this.must(m.window).setTitle(composeTitle(this.qube, m.title));
        return;
      case 'pixels':
        this.must(m.window).draw(m, m.data);
        this.hooks.painted?.(this.qube, m.window);
        return;
    }
  }

  /** The admin X server keeps every window's pixels: a qube's windows together stay under QUBE_PIXEL_BUDGET_BYTES. */
  private budget(next: Size, replacing?: Size): void {
    const sizes = [...this.shown.values()].map((w) => w.size).filter((s) => s !== replacing);
    if (!fitsPixelBudget([...sizes, next])) throw protocolError('window', `over the admin side's budget of window pixels for one qube`);
  }

  private must(win: number): AdminWindow {
    const w = this.shown.get(win);
    if (!w) throw protocolError('window', `${win} has no admin-side window`);
    return w;
  }

  /** Every window of this qube off the screen (its display stopped, its stream failed, or its agent started again). */
  clear(): void {
    for (const w of this.shown.values()) {
      this.hooks.removed(w.frame);
      w.destroy();
    }
    this.shown.clear();
    this.table = new WindowTable();
  }
}
