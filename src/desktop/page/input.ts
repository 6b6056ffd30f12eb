// The dashboard page's input and pixels in the display protocol's terms (pure, browser-safe): keysyms from KeyboardEvent.key, X11 buttons, BGRX to RGBA.

/** Keys that are not one printable character, by KeyboardEvent.key. */
const NAMED: Record<string, number> = {
  Enter: 0xff0d,
  Backspace: 0xff08,
  Tab: 0xff09,
  Escape: 0xff1b,
  Delete: 0xffff,
  Home: 0xff50,
  ArrowLeft: 0xff51,
  ArrowUp: 0xff52,
  ArrowRight: 0xff53,
  ArrowDown: 0xff54,
  PageUp: 0xff55,
  PageDown: 0xff56,
  End: 0xff57,
  Insert: 0xff63,
};

/** The keysym of a key, or null for keys the qube is not sent (modifiers alone, dead keys, function keys outside the table). */
export function keysymOf(key: string): number | null {
  const named = NAMED[key];
  if (named !== undefined) return named;
  const chars = [...key];
  if (chars.length !== 1) return null;
  const cp = chars[0]!.codePointAt(0)!;
  if (cp < 0x20 || cp === 0x7f) return null;
  // Latin-1 keysyms equal their code point; every other character is 0x01000000 + its code point (X11's Unicode keysyms).
  return (cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff) ? cp : 0x01000000 + cp;
}

/** X11 modifier mask: Shift 1, Control 4, Mod1 (Alt) 8. */
export function modifierState(e: { shiftKey: boolean; ctrlKey: boolean; altKey: boolean }): number {
  return (e.shiftKey ? 1 : 0) | (e.ctrlKey ? 4 : 0) | (e.altKey ? 8 : 0);
}

/** MouseEvent.button (0 left, 1 middle, 2 right) to X11 buttons 1–3. */
export function x11Button(button: number): number | null {
  return button === 0 ? 1 : button === 1 ? 2 : button === 2 ? 3 : null;
}

/** The agent's BGRX rows to the RGBA a canvas takes (alpha forced opaque: the qube cannot make its window see-through). */
export function bgrxToRgba(src: Uint8Array, out: Uint8ClampedArray): void {
  for (let i = 0; i + 3 < src.length; i += 4) {
    out[i] = src[i + 2]!;
    out[i + 1] = src[i + 1]!;
    out[i + 2] = src[i]!;
    out[i + 3] = 255;
  }
}
