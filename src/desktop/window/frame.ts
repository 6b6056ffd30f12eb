// Where a qube's window goes on the admin's screen: the frame around it, cut and kept on screen (pure).
import type { Rect } from '../protocol/index.js';

/** Width of the frame in the qube's label colour, drawn by the admin side outside the qube's pixels. */
export const FRAME_PX = 3;

/** Qubes' label colours, 0xRRGGBB. */
export const LABEL_COLOURS = {
  red: 0xcc0000,
  orange: 0xf57900,
  yellow: 0xedd400,
  green: 0x73d216,
  gray: 0x555753,
  blue: 0x3465a4,
  purple: 0x75507b,
  black: 0x000000,
} as const;

export interface Size {
  width: number;
  height: number;
}

/** An admin-side window: the frame (top level, label colour) and the content inside it, at (FRAME_PX, FRAME_PX). */
export interface Placement {
  frame: Rect;
  content: Size;
}

export interface WindowRequest extends Rect {
  /** What the qube asked for; never honoured (the admin side decides). */
  fullscreen: boolean;
}

const clamp = (v: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, v));

/**
 * The frame for a window the qube describes in its own screen's coordinates. Full screen is ignored;
 * the content is cut to the admin screen minus the frame; the frame is moved so that it lies whole on
 * the admin screen (popups included: nothing a qube says puts a window off screen or over all of it).
 */
export function placeWindow(w: WindowRequest, screen: Size, frame = FRAME_PX): Placement {
  const content = {
    width: clamp(w.width, 1, Math.max(1, screen.width - 2 * frame)),
    height: clamp(w.height, 1, Math.max(1, screen.height - 2 * frame)),
  };
  const width = content.width + 2 * frame;
  const height = content.height + 2 * frame;
  return {
    frame: { x: clamp(w.x - frame, 0, Math.max(0, screen.width - width)), y: clamp(w.y - frame, 0, Math.max(0, screen.height - height)), width, height },
    content,
  };
}

/** The part of a pixel rectangle that lies inside the content shown (a cut window drops the rest), or null. */
export function visiblePart(r: Rect, content: Size): Rect | null {
  const width = Math.min(r.x + r.width, content.width) - r.x;
  const height = Math.min(r.y + r.height, content.height) - r.y;
  return width > 0 && height > 0 ? { x: r.x, y: r.y, width, height } : null;
}

/** Bands of whole rows, each of at most `maxBytes` of BGRX pixels (the X server's request limit less its header). */
export function rowBands(width: number, height: number, maxBytes: number): { y: number; rows: number }[] {
  const perBand = Math.max(1, Math.floor(maxBytes / (width * 4)));
  const out: { y: number; rows: number }[] = [];
  for (let y = 0; y < height; y += perBand) out.push({ y, rows: Math.min(perBand, height - y) });
  return out;
}

/** The content size the admin gave a frame it resized (never below 1 × 1). */
export function contentOfFrame(outer: Size, frame = FRAME_PX): Size {
  return { width: Math.max(1, outer.width - 2 * frame), height: Math.max(1, outer.height - 2 * frame) };
}

/**
 * Whether a popup (override-redirect: no window manager moves, stacks or closes it) stays one. A popup
 * that would cover most of the admin screen is drawn as an ordinary managed window instead (as Qubes'
 * guid does), so a qube cannot lay an unmovable sheet over the admin's session.
 */
export function keepsOverrideRedirect(content: Size, screen: Size): boolean {
  return !(content.width * 10 >= screen.width * 9 && content.height * 10 >= screen.height * 9);
}

/** Pixels one qube may keep on the admin X server (its windows' pixmaps, 4 bytes a pixel): past it, its display is dropped. */
export const QUBE_PIXEL_BUDGET_BYTES = 128 * 1024 * 1024;

/** Whether windows of these content sizes fit the budget. */
export function fitsPixelBudget(sizes: Iterable<Size>, budget = QUBE_PIXEL_BUDGET_BYTES): boolean {
  let bytes = 0;
  for (const s of sizes) bytes += s.width * s.height * 4;
  return bytes <= budget;
}
