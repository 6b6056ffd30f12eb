// Reads display-protocol messages from a byte stream, refusing anything malformed or past a limit.
// Written for bytes a qube chose: every length is checked before it is used, nothing is buffered past
// one message's bound, and the first fault ends the stream with an error naming the field.
import { BulkheadError } from '../../errors/index.js';
import { ACCEPTS, HEADER_BYTES, LIMITS, PROTOCOL_VERSION, TYPE, type Direction, type Message, type MessageKind } from './types.js';

const KIND_OF = new Map<number, MessageKind>(Object.entries(TYPE).map(([k, v]) => [v, k as MessageKind]));

/** Largest body each kind may carry; fixed-size bodies must match exactly (see FIXED). */
const MAX_BODY: Record<MessageKind, number> = {
  create: 24,
  configure: 16,
  map: 0,
  unmap: 0,
  destroy: 0,
  title: LIMITS.maxTitleBytes,
  pixels: 16 + LIMITS.maxPixelBytes,
  hello: 12,
  key: 12,
  button: 16,
  motion: 8,
  resize: 8,
  close: 0,
  focus: 4,
  redraw: 0,
  qube: 4 + LIMITS.maxNameBytes,
};
const VARIABLE = new Set<MessageKind>(['title', 'pixels', 'qube']);

export function protocolError(field: string, why: string): BulkheadError {
  return new BulkheadError('ERR_DISPLAY_PROTOCOL', `display protocol: ${field}: ${why}`);
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** UTF-8 to text with every control character (C0, DEL, C1) made U+FFFD, so a title cannot move a cursor or fake a line. */
export function cleanText(bytes: Uint8Array): string {
  // eslint-disable-next-line no-control-regex
  return utf8.decode(bytes).replace(/[\u0000-\u001f\u007f-\u009f]/g, '\ufffd');
}

function checkSize(field: string, width: number, height: number): void {
  if (width < 1 || width > LIMITS.maxWidth) throw protocolError(`${field}.width`, `${width} is not in 1..${LIMITS.maxWidth}`);
  if (height < 1 || height > LIMITS.maxHeight) throw protocolError(`${field}.height`, `${height} is not in 1..${LIMITS.maxHeight}`);
}

function checkPoint(field: string, x: number, y: number): void {
  if (Math.abs(x) > LIMITS.maxCoordinate || Math.abs(y) > LIMITS.maxCoordinate) throw protocolError(`${field}.x/y`, `(${x}, ${y}) is too far off screen`);
}

/** One message from its type, window and body (already length-checked against MAX_BODY). */
export function parseBody(kind: MessageKind, window: number, b: Uint8Array): Message {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const u = (i: number): number => v.getUint32(i * 4, true);
  const s = (i: number): number => v.getInt32(i * 4, true);
  const noWindow = (): void => {
    if (window !== 0) throw protocolError(`${kind}.window`, 'must be 0');
  };
  const needWindow = (): void => {
    if (window === 0) throw protocolError(`${kind}.window`, 'must not be 0');
  };
  switch (kind) {
    case 'create': {
      needWindow();
      const m = { kind, window, x: s(0), y: s(1), width: u(2), height: u(3), popup: (u(4) & 1) !== 0, fullscreen: (u(4) & 2) !== 0, transientFor: u(5) };
      if ((u(4) & ~3) !== 0) throw protocolError('create.flags', `unknown bits 0x${u(4).toString(16)}`);
      checkSize('create', m.width, m.height);
      checkPoint('create', m.x, m.y);
      return m;
    }
    case 'configure': {
      needWindow();
      const m = { kind, window, x: s(0), y: s(1), width: u(2), height: u(3) };
      checkSize('configure', m.width, m.height);
      checkPoint('configure', m.x, m.y);
      return m;
    }
    case 'map':
    case 'unmap':
    case 'destroy':
    case 'close':
      needWindow();
      return { kind, window };
    case 'redraw':
      noWindow();
      return { kind, window: 0 };
    case 'title':
      needWindow();
      return { kind, window, title: cleanText(b) };
    case 'pixels': {
      needWindow();
      if (b.length < 16) throw protocolError('pixels', 'body shorter than its rectangle');
      const m = { kind, window, x: u(0), y: u(1), width: u(2), height: u(3) };
      checkSize('pixels', m.width, m.height);
      const want = m.width * m.height * 4;
      if (want > LIMITS.maxPixelBytes) throw protocolError('pixels', `${want} bytes is over ${LIMITS.maxPixelBytes}`);
      if (b.length - 16 !== want) throw protocolError('pixels.data', `${b.length - 16} bytes for a ${m.width}x${m.height} rectangle (want ${want})`);
      return { ...m, data: b.subarray(16) };
    }
    case 'hello': {
      noWindow();
      const m = { kind, window: 0 as const, version: u(0), screenWidth: u(1), screenHeight: u(2) };
      if (m.version !== PROTOCOL_VERSION) throw protocolError('hello.version', `${m.version} is not ${PROTOCOL_VERSION}`);
      checkSize('hello.screen', m.screenWidth, m.screenHeight);
      return m;
    }
    case 'key': {
      needWindow();
      if (u(1) > 1) throw protocolError('key.pressed', 'must be 0 or 1');
      if (u(0) > 0x1ffffff) throw protocolError('key.keysym', `0x${u(0).toString(16)} is not a keysym`);
      if (u(2) > 0xffff) throw protocolError('key.state', 'not a modifier mask');
      return { kind, window, keysym: u(0), pressed: u(1) === 1, state: u(2) };
    }
    case 'button': {
      needWindow();
      if (u(0) < 1 || u(0) > 5) throw protocolError('button.button', `${u(0)} is not in 1..5`);
      if (u(1) > 1) throw protocolError('button.pressed', 'must be 0 or 1');
      checkPoint('button', s(2), s(3));
      return { kind, window, button: u(0), pressed: u(1) === 1, x: s(2), y: s(3) };
    }
    case 'motion':
      needWindow();
      checkPoint('motion', s(0), s(1));
      return { kind, window, x: s(0), y: s(1) };
    case 'resize':
      needWindow();
      checkSize('resize', u(0), u(1));
      return { kind, window, width: u(0), height: u(1) };
    case 'focus':
      needWindow();
      if (u(0) > 1) throw protocolError('focus.in', 'must be 0 or 1');
      return { kind, window, focused: u(0) === 1 };
    case 'qube': {
      noWindow();
      if (b.length < 5) throw protocolError('qube.name', 'empty');
      return { kind, window: 0, colour: u(0) & 0xffffff, name: cleanText(b.subarray(4)) };
    }
  }
}

/** Incremental reader for one direction: push chunks as they come, get whole messages back. */
export class Decoder {
  // Chunks of a message not yet whole are kept apart and joined once, when it is: a 4 MiB PIXELS message
  // arriving in 64 KiB reads is copied once, not once per read.
  private chunks: Uint8Array[] = [];
  private size = 0;
  /** Bytes needed before anything new can be read: a header, or the header and body of the message begun. */
  private need = HEADER_BYTES;
  private readonly accepts: ReadonlySet<MessageKind>;

  constructor(readonly direction: Direction) {
    this.accepts = new Set(ACCEPTS[direction]);
  }

  /** Bytes held for an incomplete message (bounded by one message's limit plus a header). */
  get pending(): number {
    return this.size;
  }

  /** The header at `at`, checked; the whole message's length. */
  private header(joined: Uint8Array, at: number): { kind: MessageKind; window: number; length: number } {
    const v = new DataView(joined.buffer, joined.byteOffset + at, HEADER_BYTES);
    const type = v.getUint32(0, true);
    const window = v.getUint32(4, true);
    const length = v.getUint32(8, true);
    const kind = KIND_OF.get(type);
    if (!kind || !this.accepts.has(kind)) throw protocolError('type', `${type} is not a message ${this.direction}`);
    if (length > MAX_BODY[kind]) throw protocolError(`${kind}.length`, `${length} bytes is over ${MAX_BODY[kind]}`);
    if (!VARIABLE.has(kind) && length !== MAX_BODY[kind]) throw protocolError(`${kind}.length`, `${length} bytes, want ${MAX_BODY[kind]}`);
    return { kind, window, length };
  }

  push(chunk: Uint8Array): Message[] {
    if (chunk.length === 0) return [];
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.size < this.need) return [];
    let joined: Uint8Array;
    // A body is copied out of the caller's chunk, but is a view of a buffer joined here (nobody else holds it).
    const own = this.chunks.length > 1;
    if (!own) joined = chunk;
    else {
      joined = new Uint8Array(this.size);
      let o = 0;
      for (const c of this.chunks) {
        joined.set(c, o);
        o += c.length;
      }
    }
    const out: Message[] = [];
    let at = 0;
    this.need = HEADER_BYTES;
    while (joined.length - at >= HEADER_BYTES) {
      const { kind, window, length } = this.header(joined, at);
      if (joined.length - at - HEADER_BYTES < length) {
        this.need = HEADER_BYTES + length;
        break;
      }
      const body = own ? joined.subarray(at + HEADER_BYTES, at + HEADER_BYTES + length) : joined.slice(at + HEADER_BYTES, at + HEADER_BYTES + length);
      out.push(parseBody(kind, window, body));
      at += HEADER_BYTES + length;
    }
    const rest = joined.slice(at);
    this.chunks = rest.length ? [rest] : [];
    this.size = rest.length;
    return out;
  }

  /** At the end of the stream: a partial message left over is a fault, not silence. */
  end(): void {
    if (this.size > 0) throw protocolError('stream', `ended inside a message (${this.size} bytes left)`);
  }
}
