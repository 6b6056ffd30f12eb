// The display protocol's messages and limits (docs/desktop-protocol.md), as plain data.

/** Message type numbers on the wire. */
export const TYPE = {
  create: 1,
  configure: 2,
  map: 3,
  unmap: 4,
  destroy: 5,
  title: 6,
  pixels: 7,
  hello: 8,
  key: 101,
  button: 102,
  motion: 103,
  resize: 104,
  close: 105,
  focus: 106,
  redraw: 107,
  qube: 200,
} as const;

export type MessageKind = keyof typeof TYPE;

/** Every bound a qube could otherwise choose; the decoder refuses anything past them. */
export const LIMITS = {
  maxWidth: 3840,
  maxHeight: 2160,
  maxWindows: 64,
  maxTitleBytes: 256,
  maxPixelBytes: 4 * 1024 * 1024,
  maxClipboardBytes: 65000,
  maxNameBytes: 64,
  /** Coordinates further off the qube's screen than this are refused (a sane margin for popups). */
  maxCoordinate: 16384,
} as const;

export const PROTOCOL_VERSION = 1;
export const HEADER_BYTES = 12;

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export type AgentMessage =
  | ({ kind: 'create'; window: number; popup: boolean; fullscreen: boolean; transientFor: number } & Rect)
  | ({ kind: 'configure'; window: number } & Rect)
  | { kind: 'map' | 'unmap' | 'destroy'; window: number }
  | { kind: 'title'; window: number; title: string }
  /** `data` is width × height × 4 bytes, BGRX, rows top to bottom. */
  | ({ kind: 'pixels'; window: number; data: Uint8Array } & Rect)
  | { kind: 'hello'; window: 0; version: number; screenWidth: number; screenHeight: number };

export type ClientMessage =
  | { kind: 'key'; window: number; keysym: number; pressed: boolean; state: number }
  | { kind: 'button'; window: number; button: number; pressed: boolean; x: number; y: number }
  | { kind: 'motion'; window: number; x: number; y: number }
  | { kind: 'resize'; window: number; width: number; height: number }
  | { kind: 'close'; window: number }
  | { kind: 'focus'; window: number; focused: boolean }
  | { kind: 'redraw'; window: 0 };

/** The daemon's first message to a display client: who this stream is, from the daemon's own state. */
export interface QubeMessage {
  kind: 'qube';
  window: 0;
  name: string;
  /** Label colour as 0xRRGGBB. */
  colour: number;
}

export type Message = AgentMessage | ClientMessage | QubeMessage;

/** Which messages a reader accepts: what the agent may say, what a client may say, what the daemon says to a client. */
export type Direction = 'from-agent' | 'from-client' | 'to-client';

export const ACCEPTS: Record<Direction, readonly MessageKind[]> = {
  'from-agent': ['create', 'configure', 'map', 'unmap', 'destroy', 'title', 'pixels', 'hello'],
  'from-client': ['key', 'button', 'motion', 'resize', 'close', 'focus', 'redraw'],
  'to-client': ['qube', 'create', 'configure', 'map', 'unmap', 'destroy', 'title', 'pixels', 'hello'],
};
