// Keys on the admin side: keysyms from the admin keyboard's mapping, and the clipboard keys that never reach a qube (pure).

export const MOD = { shift: 0x1, lock: 0x2, control: 0x4 } as const;

/** The keyboard mapping as GetKeyboardMapping answers it: one row of keysyms per keycode from `minKeycode`. */
export interface KeyboardMapping {
  minKeycode: number;
  rows: readonly (readonly number[])[];
}

const isLowerLatin = (k: number): boolean => k >= 0x61 && k <= 0x7a;

/** The keysym of a key in X11's core rules for group 1: Shift picks the second column, Lock upper-cases letters. */
export function keysymOf(map: KeyboardMapping, keycode: number, state: number): number {
  const row = map.rows[keycode - map.minKeycode];
  if (!row || row.length === 0) return 0;
  const lower = row[0] ?? 0;
  const upper = row[1] || (isLowerLatin(lower) ? lower - 0x20 : lower);
  const shifted = (state & MOD.shift) !== 0;
  let sym = shifted ? upper : lower;
  if ((state & MOD.lock) !== 0 && isLowerLatin(sym)) sym -= 0x20;
  return sym;
}

export type ClipboardAction = 'copy' | 'paste';

/** Ctrl-Shift-C copies the window's qube clipboard to the global one, Ctrl-Shift-V pastes it (Qubes' keys); null for every other key. */
export function clipboardKey(keysym: number, state: number): ClipboardAction | null {
  if ((state & (MOD.control | MOD.shift)) !== (MOD.control | MOD.shift)) return null;
  if (keysym === 0x63 || keysym === 0x43) return 'copy';
  if (keysym === 0x76 || keysym === 0x56) return 'paste';
  return null;
}
