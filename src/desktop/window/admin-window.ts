// One qube window on the admin display: a frame in the label colour, the content child inset by it, and a pixmap that keeps its pixels.
import type { Rect } from '../protocol/index.js';
import type { XConnection } from '../x11/connection.js';
import { x11 } from '../x11/raw.js';
import { FRAME_PX, rowBands, visiblePart, type Placement, type Size } from './frame.js';
import { wmClass } from './title.js';

const M = x11.eventMask;
const FRAME_EVENTS = M.KeyPress! | M.KeyRelease! | M.ButtonPress! | M.ButtonRelease! | M.PointerMotion! | M.StructureNotify! | M.FocusChange!;
const INPUT_OUTPUT = 1;
const ZPIXMAP = 2;
const ATOM = { ATOM: 4, STRING: 31, WINDOW: 33, WM_NAME: 39, WM_NORMAL_HINTS: 40, WM_SIZE_HINTS: 41, WM_CLASS: 67, WM_TRANSIENT_FOR: 68 } as const;
// WM_NORMAL_HINTS flags: the position is the program's, and the window has a largest size (the admin screen).
const P_POSITION = 4;
const P_MAX_SIZE = 32;

export interface AdminWindowOptions {
  qube: string;
  colour: number;
  popup: boolean;
  /** The admin-side frame of the window this one is transient for. */
  transientFor: number | null;
}

export class AdminWindow {
  readonly frame: number;
  readonly content: number;
  private pixmap: number;
  private readonly gc: number;
  /** Size of the content as last set by us, so our own ConfigureNotify is not taken for the admin's resize. */
  size: Size;
  at: Rect;
  /** Drawn override-redirect (a menu or tooltip that stayed a popup). */
  readonly popup: boolean;

  constructor(
    private readonly xc: XConnection,
    place: Placement,
    o: AdminWindowOptions,
  ) {
    const X = xc.X;
    this.frame = X.AllocID();
    this.content = X.AllocID();
    this.pixmap = X.AllocID();
    this.gc = X.AllocID();
    this.size = place.content;
    this.at = place.frame;
    this.popup = o.popup;
    const f = place.frame;
    // The frame is the label colour: its background shows in the FRAME_PX band the content child leaves uncovered.
    X.CreateWindow(this.frame, xc.root, f.x, f.y, f.width, f.height, 0, 0, INPUT_OUTPUT, 0, {
      backgroundPixel: o.colour,
      overrideRedirect: o.popup ? 1 : 0,
      eventMask: FRAME_EVENTS,
    });
    X.CreateWindow(this.content, this.frame, FRAME_PX, FRAME_PX, this.size.width, this.size.height, 0, 0, INPUT_OUTPUT, 0, {
      backgroundPixel: 0,
      eventMask: M.Exposure!,
    });
    X.CreatePixmap(this.pixmap, this.frame, xc.depth, this.size.width, this.size.height);
    X.CreateGC(this.gc, this.pixmap, { graphicsExposures: 0, foreground: 0 });
    X.PolyFillRectangle(this.pixmap, this.gc, [0, 0, this.size.width, this.size.height]);
    X.MapWindow(this.content);
    X.ChangeProperty(0, this.frame, ATOM.WM_CLASS, ATOM.STRING, 8, Buffer.from(wmClass(o.qube), 'latin1'));
    X.ChangeProperty(0, this.frame, xc.atoms.WM_PROTOCOLS, ATOM.ATOM, 32, [xc.atoms.WM_DELETE_WINDOW]);
    X.ChangeProperty(0, this.frame, xc.atoms._NET_WM_PID, 6, 32, [process.pid]);
    if (o.transientFor !== null) X.ChangeProperty(0, this.frame, ATOM.WM_TRANSIENT_FOR, ATOM.WINDOW, 32, [o.transientFor]);
    this.hints();
  }

  /** Position and largest size for a window manager: never larger than the admin screen (no full screen by resizing). */
  private hints(): void {
    const maxW = this.xc.width;
    const maxH = this.xc.height;
    const h = [P_POSITION | P_MAX_SIZE, this.at.x, this.at.y, this.at.width, this.at.height, 0, 0, maxW, maxH, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    this.xc.X.ChangeProperty(0, this.frame, ATOM.WM_NORMAL_HINTS, ATOM.WM_SIZE_HINTS, 32, h);
  }

  setTitle(text: string): void {
    const bytes = Buffer.from(text, 'utf8');
    this.xc.X.ChangeProperty(0, this.frame, ATOM.WM_NAME, this.xc.atoms.UTF8_STRING, 8, bytes);
    this.xc.X.ChangeProperty(0, this.frame, this.xc.atoms._NET_WM_NAME, this.xc.atoms.UTF8_STRING, 8, bytes);
  }

  map(): void {
    this.xc.X.MapWindow(this.frame);
  }

  unmap(): void {
    this.xc.X.UnmapWindow(this.frame);
  }

  /** Moves and sizes the frame (from the qube's CONFIGURE, placed by policy). */
  place(p: Placement): void {
    this.at = p.frame;
    this.xc.X.ConfigureWindow(this.frame, { x: p.frame.x, y: p.frame.y, width: p.frame.width, height: p.frame.height });
    this.resizeContent(p.content);
    this.hints();
  }

  /** New content size: the child and its pixmap follow; pixels kept where both overlap. */
  resizeContent(size: Size): void {
    if (size.width === this.size.width && size.height === this.size.height) return;
    const X = this.xc.X;
    const next = X.AllocID();
    X.CreatePixmap(next, this.frame, this.xc.depth, size.width, size.height);
    X.PolyFillRectangle(next, this.gc, [0, 0, size.width, size.height]);
    X.CopyArea(this.pixmap, next, this.gc, 0, 0, 0, 0, Math.min(size.width, this.size.width), Math.min(size.height, this.size.height));
    X.FreePixmap(this.pixmap);
    X.ReleaseID(this.pixmap);
    this.pixmap = next;
    this.size = size;
    X.ConfigureWindow(this.content, { width: size.width, height: size.height });
  }

  /** BGRX rows from the qube into the pixmap, cut to what is shown and split to the server's request size, then onto the window. */
  draw(r: Rect, data: Uint8Array): void {
    const v = visiblePart(r, this.size);
    if (!v) return;
    const X = this.xc.X;
    const stride = r.width * 4;
    // A request carries a 28-byte header (BIG-REQUESTS form); keep each well under the limit and under 4 MiB.
    const maxBytes = Math.min(this.xc.maxRequestBytes - 64, 4 * 1024 * 1024);
    for (const band of rowBands(v.width, v.height, maxBytes)) {
      let bytes: Buffer;
      if (v.width === r.width) {
        bytes = Buffer.from(data.buffer, data.byteOffset + band.y * stride, band.rows * stride);
      } else {
        bytes = Buffer.alloc(band.rows * v.width * 4);
        for (let row = 0; row < band.rows; row++) {
          const from = data.byteOffset + (band.y + row) * stride;
          bytes.set(new Uint8Array(data.buffer, from, v.width * 4), row * v.width * 4);
        }
      }
      X.PutImage(ZPIXMAP, this.pixmap, this.gc, v.width, band.rows, v.x, v.y + band.y, 0, this.xc.depth, bytes);
    }
    X.CopyArea(this.pixmap, this.content, this.gc, v.x, v.y, v.x, v.y, v.width, v.height);
  }

  /** An Expose of the content: its pixels come back from the pixmap, the qube is not asked. */
  expose(r: Rect): void {
    this.xc.X.CopyArea(this.pixmap, this.content, this.gc, r.x, r.y, r.x, r.y, r.width, r.height);
  }

  destroy(): void {
    const X = this.xc.X;
    X.DestroyWindow(this.frame);
    X.FreePixmap(this.pixmap);
    X.FreeGC(this.gc);
    for (const id of [this.frame, this.content, this.pixmap, this.gc]) X.ReleaseID(id);
  }
}
