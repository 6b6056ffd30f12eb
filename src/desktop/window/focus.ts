// Which admin-side window has the keyboard, from X's FocusIn/FocusOut: input goes only to that window's qube (pure).

/** X11 focus detail values that do not move focus between top-level windows. */
const DETAIL_INFERIOR = 2;
const DETAIL_POINTER = 5;
const DETAIL_POINTER_ROOT = 6;
const DETAIL_NONE = 7;

export class FocusTracker {
  private current: number | null = null;

  /** The frame window that has focus, or null. */
  get focused(): number | null {
    return this.current;
  }

  /** A FocusIn on `frame`; focus that only follows the pointer (no window manager, PointerRoot) is not focus. */
  focusIn(frame: number, detail: number): boolean {
    if (detail === DETAIL_POINTER || detail === DETAIL_POINTER_ROOT || detail === DETAIL_NONE) return false;
    const changed = this.current !== frame;
    this.current = frame;
    return changed;
  }

  /** A FocusOut from `frame`; focus going to its own child keeps it. */
  focusOut(frame: number, detail: number): boolean {
    if (detail === DETAIL_INFERIOR || detail === DETAIL_POINTER) return false;
    if (this.current !== frame) return false;
    this.current = null;
    return true;
  }

  /** The admin clicked `frame` and the service gave it focus. */
  set(frame: number): boolean {
    const changed = this.current !== frame;
    this.current = frame;
    return changed;
  }

  /** `frame` is gone. */
  forget(frame: number): void {
    if (this.current === frame) this.current = null;
  }

  /** Input for `frame` may be sent only while it has focus. */
  allows(frame: number): boolean {
    return this.current === frame;
  }
}
