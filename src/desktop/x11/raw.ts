// The typed face of npm `x11` (node-x11, pure-JS X11 protocol): only the requests and fields the window service uses.
import { createRequire } from 'node:module';

/** An X event as node-x11 unpacks it (fields per event name; `buttons` is the modifier state of key and button events). */
export interface XEvent {
  name: string;
  wid: number;
  x: number;
  y: number;
  width: number;
  height: number;
  keycode: number;
  buttons: number;
  detail: number;
  mode: number;
  count: number;
  message_type: number;
  data: number[];
  request: number;
}

export type Cb<T> = (err: Error | null, value: T) => void;

export interface XRequests {
  AllocID(): number;
  ReleaseID(id: number): void;
  CreateWindow(
    id: number,
    parent: number,
    x: number,
    y: number,
    w: number,
    h: number,
    border: number,
    depth: number,
    cls: number,
    visual: number,
    values: object,
  ): void;
  ChangeWindowAttributes(id: number, values: object): void;
  ConfigureWindow(id: number, values: object): void;
  DestroyWindow(id: number): void;
  MapWindow(id: number): void;
  UnmapWindow(id: number): void;
  InternAtom(onlyIfExists: boolean, name: string, cb: Cb<number>): void;
  ChangeProperty(mode: number, wid: number, prop: number, type: number, units: number, data: Buffer | number[]): void;
  DeleteProperty(wid: number, prop: number): void;
  CreatePixmap(id: number, drawable: number, depth: number, w: number, h: number): void;
  FreePixmap(id: number): void;
  CreateGC(id: number, drawable: number, values: object): void;
  FreeGC(id: number): void;
  PutImage(format: number, drawable: number, gc: number, w: number, h: number, x: number, y: number, leftPad: number, depth: number, data: Buffer): void;
  CopyArea(src: number, dst: number, gc: number, srcX: number, srcY: number, dstX: number, dstY: number, w: number, h: number): void;
  PolyFillRectangle(drawable: number, gc: number, rects: number[]): void;
  SetInputFocus(wid: number, revertTo: number): void;
  GetKeyboardMapping(first: number, count: number, cb: Cb<number[][]>): void;
  sync(): Promise<void>;
  close(cb?: () => void): void;
  on(ev: 'event', fn: (e: XEvent) => void): void;
  on(ev: 'error' | 'end', fn: (e?: Error) => void): void;
}

export interface XVisual {
  class: number;
  red_mask: number;
  green_mask: number;
  blue_mask: number;
}

export interface XScreen {
  root: number;
  pixel_width: number;
  pixel_height: number;
  root_depth: number;
  root_visual: number;
  depths: Record<number, Record<number, XVisual>>;
}

export interface XDisplay {
  client: XRequests;
  screen: XScreen[];
  format: Record<number, { bits_per_pixel: number }>;
  image_byte_order: number;
  min_keycode: number;
  max_keycode: number;
  /** In 4-byte units, after BIG-REQUESTS. */
  max_request_length: number;
}

interface X11Module {
  createClient(options: { display: string; shm?: boolean }, cb: (err: Error | undefined, display: XDisplay) => void): XRequests;
  eventMask: Record<string, number>;
}

// node-x11 is CommonJS without types; this is its one import.
export const x11 = createRequire(import.meta.url)('x11') as X11Module;
