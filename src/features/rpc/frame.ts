// RPC frames between agent, broker and client: type + length header, payload of at most 64 KiB.
import { BulkheadError } from '../../errors/index.js';

/** Header: type u8, three zero bytes, payload length u32 little-endian. */
export const FRAME_HEADER_SIZE = 8;
/** Largest payload of one frame. */
export const FRAME_MAX_PAYLOAD = 65536;

export const FrameType = {
  HELLO: 1,
  CALL: 2,
  STDIN: 3,
  STDOUT: 4,
  STDERR: 5,
  EOF: 6,
  EXIT: 7,
  ERROR: 8,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** Which stream an EOF frame closes. */
export const StreamId = { STDIN: 0, STDOUT: 1, STDERR: 2 } as const;
export type StreamId = (typeof StreamId)[keyof typeof StreamId];

export const PROTOCOL_VERSION = 1;

export interface Frame {
  type: FrameType;
  payload: Buffer;
}

export type FrameErrorReason = 'oversize' | 'unknown-type' | 'reserved' | 'bad-payload' | 'truncated';

/** A malformed frame or stream; `reason` says which rule it broke. */
export class FrameError extends BulkheadError {
  readonly reason: FrameErrorReason;
  /** Frames completed in the same `push` before the error (the reader throws for the whole chunk). */
  frames: Frame[] = [];
  constructor(reason: FrameErrorReason, message: string) {
    super('ERR_BAD_REQUEST', `rpc frame: ${message}`);
    this.reason = reason;
  }
}

const KNOWN = new Set<number>(Object.values(FrameType));

/** Checks a frame's type and payload length against the rules; throws FrameError. */
export function checkFrame(type: number, length: number): asserts type is FrameType {
  if (!KNOWN.has(type)) throw new FrameError('unknown-type', `unknown frame type ${type}`);
  if (length > FRAME_MAX_PAYLOAD) throw new FrameError('oversize', `payload of ${length} bytes exceeds ${FRAME_MAX_PAYLOAD}`);
  const bad = (want: string) => new FrameError('bad-payload', `type ${type} needs ${want}, got ${length} bytes`);
  switch (type) {
    case FrameType.HELLO:
      if (length < 4) throw bad('at least 4 bytes');
      break;
    case FrameType.STDIN:
    case FrameType.STDOUT:
    case FrameType.STDERR:
      if (length < 1) throw bad('at least 1 byte');
      break;
    case FrameType.EOF:
      if (length !== 1) throw bad('exactly 1 byte');
      break;
    case FrameType.EXIT:
      if (length !== 4) throw bad('exactly 4 bytes');
      break;
    case FrameType.ERROR:
      if (length < 4) throw bad('at least 4 bytes');
      break;
  }
}

/** One frame as bytes. */
export function encodeFrame(type: FrameType, payload: Uint8Array = new Uint8Array(0)): Buffer {
  checkFrame(type, payload.length);
  if (type === FrameType.EOF && payload[0]! > 2) throw new FrameError('bad-payload', `EOF for unknown stream ${payload[0]}`);
  const out = Buffer.allocUnsafe(FRAME_HEADER_SIZE + payload.length);
  out.writeUInt32LE(type, 0); // type in byte 0, bytes 1..3 zero
  out.writeUInt32LE(payload.length, 4);
  out.set(payload, FRAME_HEADER_SIZE);
  return out;
}

/** Data of any length as STDIN/STDOUT/STDERR frames of at most 64 KiB each (none for empty data). */
export function encodeData(type: typeof FrameType.STDIN | typeof FrameType.STDOUT | typeof FrameType.STDERR, data: Uint8Array): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += FRAME_MAX_PAYLOAD) out.push(encodeFrame(type, data.subarray(i, i + FRAME_MAX_PAYLOAD)));
  return out;
}

export const encodeHello = (version = PROTOCOL_VERSION): Buffer => {
  const p = Buffer.alloc(4);
  p.writeUInt32LE(version);
  return encodeFrame(FrameType.HELLO, p);
};
export const encodeEof = (stream: StreamId): Buffer => encodeFrame(FrameType.EOF, Uint8Array.of(stream));
export const encodeExit = (code: number): Buffer => {
  const p = Buffer.alloc(4);
  p.writeInt32LE(code);
  return encodeFrame(FrameType.EXIT, p);
};
export const encodeError = (code: number, message: string): Buffer => {
  const text = Buffer.from(message, 'utf8').subarray(0, FRAME_MAX_PAYLOAD - 4);
  const p = Buffer.alloc(4 + text.length);
  p.writeUInt32LE(code >>> 0);
  p.set(text, 4);
  return encodeFrame(FrameType.ERROR, p);
};
/** CALL payload: target and service (with `+argument`), UTF-8, separated by one NUL. */
export const encodeCall = (target: string, service: string): Buffer => {
  if (target.includes('\0') || service.includes('\0')) throw new FrameError('bad-payload', 'NUL inside a CALL field');
  return encodeFrame(FrameType.CALL, Buffer.from(`${target}\0${service}`, 'utf8'));
};

/** Reads typed payloads; throws FrameError('bad-payload') when they do not fit. */
export const payload = {
  hello: (f: Frame): number => f.payload.readUInt32LE(0),
  exit: (f: Frame): number => f.payload.readInt32LE(0),
  eof: (f: Frame): StreamId => {
    const s = f.payload[0]!;
    if (s > 2) throw new FrameError('bad-payload', `EOF for unknown stream ${s}`);
    return s as StreamId;
  },
  error: (f: Frame): { code: number; message: string } => ({ code: f.payload.readUInt32LE(0), message: f.payload.subarray(4).toString('utf8') }),
  call: (f: Frame): { target: string; service: string } => {
    const parts = f.payload.toString('utf8').split('\0');
    if (parts.length !== 2) throw new FrameError('bad-payload', 'CALL needs exactly two NUL-separated fields');
    return { target: parts[0]!, service: parts[1]! };
  },
};

/**
 * Incremental decoder: accepts any chunking, holds at most one header and one payload
 * (≤ 64 KiB), and fails on the first bad header with a FrameError. After a failure every
 * further call throws the same error.
 */
export class FrameReader {
  private header = Buffer.alloc(FRAME_HEADER_SIZE);
  private headerGot = 0;
  private body: Buffer | undefined;
  private bodyGot = 0;
  private type: FrameType = FrameType.HELLO;
  private failed: FrameError | undefined;

  push(chunk: Uint8Array): Frame[] {
    if (this.failed) {
      this.failed.frames = [];
      throw this.failed;
    }
    const frames: Frame[] = [];
    let i = 0;
    try {
      while (i < chunk.length) {
        if (!this.body) {
          const n = Math.min(FRAME_HEADER_SIZE - this.headerGot, chunk.length - i);
          this.header.set(chunk.subarray(i, i + n), this.headerGot);
          this.headerGot += n;
          i += n;
          if (this.headerGot < FRAME_HEADER_SIZE) break;
          this.startBody();
          if (this.body!.length === 0) frames.push(this.finishFrame());
          continue;
        }
        const n = Math.min(this.body.length - this.bodyGot, chunk.length - i);
        this.body.set(chunk.subarray(i, i + n), this.bodyGot);
        this.bodyGot += n;
        i += n;
        if (this.bodyGot === this.body.length) frames.push(this.finishFrame());
      }
    } catch (e) {
      if (e instanceof FrameError) {
        e.frames = frames;
        this.failed = e;
      }
      throw e;
    }
    return frames;
  }

  /** True when no partial frame is held. */
  get idle(): boolean {
    return this.headerGot === 0 && !this.body;
  }

  /** Call at end of input: throws FrameError('truncated') if a frame was cut. */
  end(): void {
    if (this.failed) throw this.failed;
    if (!this.idle) {
      this.failed = new FrameError('truncated', 'stream ended inside a frame');
      throw this.failed;
    }
  }

  private startBody(): void {
    const type = this.header[0]!;
    if (this.header[1] !== 0 || this.header[2] !== 0 || this.header[3] !== 0) throw new FrameError('reserved', 'reserved header bytes are not zero');
    const length = this.header.readUInt32LE(4);
    checkFrame(type, length);
    this.type = type;
    this.body = Buffer.allocUnsafe(length);
    this.bodyGot = 0;
  }

  private finishFrame(): Frame {
    const f: Frame = { type: this.type, payload: this.body! };
    this.body = undefined;
    this.headerGot = 0;
    if (f.type === FrameType.EOF) payload.eof(f);
    return f;
  }
}

/** Frames from an async byte source (a socket, a pipe); throws FrameError on bad input or a cut frame. */
export async function* readFrames(source: AsyncIterable<Uint8Array>): AsyncGenerator<Frame> {
  const r = new FrameReader();
  for await (const chunk of source) yield* r.push(chunk);
  r.end();
}
