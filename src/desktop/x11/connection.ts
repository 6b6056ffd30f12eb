// One connection to the admin's X display: checks it can show BGRX pixels as they come, interns the atoms, reads the keyboard.
import { BulkheadError } from '../../errors/index.js';
import type { KeyboardMapping } from '../window/keys.js';
import { x11, type XDisplay, type XRequests } from './raw.js';

export const ATOM_NAMES = [
  'WM_PROTOCOLS',
  'WM_DELETE_WINDOW',
  'UTF8_STRING',
  '_NET_WM_NAME',
  '_NET_WM_PID',
  '_NET_WM_WINDOW_TYPE',
  '_NET_WM_WINDOW_TYPE_DIALOG',
] as const;
export type AtomName = (typeof ATOM_NAMES)[number];

export interface XConnection {
  X: XRequests;
  root: number;
  width: number;
  height: number;
  depth: number;
  visual: number;
  /** Largest request in bytes (BIG-REQUESTS included): pixel uploads are split to fit. */
  maxRequestBytes: number;
  atoms: Record<AtomName, number>;
  keyboard: KeyboardMapping;
}

function connect(display: string): Promise<XDisplay> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const client = x11.createClient({ display, shm: false }, (err, d) => {
      settled = true;
      if (err) reject(new BulkheadError('ERR_DISPLAY', `cannot open X display ${display}: ${err.message}`));
      else resolve(d);
    });
    client.on('error', (e) => {
      if (!settled) reject(new BulkheadError('ERR_DISPLAY', `cannot open X display ${display}: ${e?.message ?? 'error'}`));
    });
  });
}

const atom = (X: XRequests, name: string): Promise<number> => new Promise((res, rej) => X.InternAtom(false, name, (e, a) => (e ? rej(e) : res(a))));

export function readKeyboard(X: XRequests, min: number, max: number): Promise<KeyboardMapping> {
  return new Promise((res, rej) => X.GetKeyboardMapping(min, max - min + 1, (e, rows) => (e ? rej(e) : res({ minKeycode: min, rows }))));
}

/** Opens `display` (":N"); refuses a display whose root visual is not 24-bit TrueColor with 32-bit LSB-first pixels (BGRX as the qube sends it). */
export async function openDisplay(display: string): Promise<XConnection> {
  const d = await connect(display);
  const s = d.screen[0];
  if (!s) throw new BulkheadError('ERR_DISPLAY', `X display ${display} has no screen`);
  const visual = s.depths[s.root_depth]?.[s.root_visual];
  const bpp = d.format[s.root_depth]?.bits_per_pixel;
  if (s.root_depth !== 24 || bpp !== 32 || d.image_byte_order !== 0 || !visual || visual.red_mask !== 0xff0000 || visual.blue_mask !== 0xff) {
    d.client.close();
    throw new BulkheadError(
      'ERR_DISPLAY',
      `X display ${display}: depth ${s.root_depth}, ${bpp} bits per pixel; bulkhead gui needs 24-bit TrueColor, 32 bits per pixel`,
    );
  }
  const X = d.client;
  const atoms = {} as Record<AtomName, number>;
  for (const n of ATOM_NAMES) atoms[n] = await atom(X, n);
  return {
    X,
    root: s.root,
    width: s.pixel_width,
    height: s.pixel_height,
    depth: s.root_depth,
    visual: s.root_visual,
    maxRequestBytes: d.max_request_length * 4,
    atoms,
    keyboard: await readKeyboard(X, d.min_keycode, d.max_keycode),
  };
}
