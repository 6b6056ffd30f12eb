// Follows frame boundaries in a relayed byte stream without copying payloads: checks headers and picks out EXIT.
import { checkFrame, FRAME_HEADER_SIZE, FrameError, FrameType } from '../frame.js';

export interface ScanEvents {
  /** The EXIT code, once an EXIT frame passed completely. */
  exit?: number;
  /** An ERROR frame passed completely. */
  error?: boolean;
}

/**
 * Tracks frames across chunks. `allowed` lists the types this direction may carry; anything
 * else, or a malformed header, throws FrameError so the relay can cut the call.
 */
export class FrameScanner {
  private header = Buffer.alloc(FRAME_HEADER_SIZE);
  private hgot = 0;
  private left = 0;
  private type = 0;
  private small = Buffer.alloc(4);
  private sgot = 0;
  private ended = false;

  constructor(private readonly allowed: ReadonlySet<number>) {}

  /** True between frames. */
  get atBoundary(): boolean {
    return this.hgot === 0 && this.left === 0;
  }

  push(chunk: Buffer): ScanEvents {
    const ev: ScanEvents = {};
    let i = 0;
    while (i < chunk.length) {
      if (this.ended) throw new FrameError('bad-payload', 'data after the end of the call');
      if (this.left === 0 && this.hgot < FRAME_HEADER_SIZE) {
        const n = Math.min(FRAME_HEADER_SIZE - this.hgot, chunk.length - i);
        chunk.copy(this.header, this.hgot, i, i + n);
        this.hgot += n;
        i += n;
        if (this.hgot < FRAME_HEADER_SIZE) break;
        if (this.header[1] !== 0 || this.header[2] !== 0 || this.header[3] !== 0) throw new FrameError('reserved', 'reserved header bytes are not zero');
        const type = this.header[0]!;
        const len = this.header.readUInt32LE(4);
        checkFrame(type, len);
        if (!this.allowed.has(type)) throw new FrameError('unknown-type', `frame type ${type} is not allowed in this direction`);
        this.type = type;
        this.left = len;
        this.sgot = 0;
        this.hgot = 0;
        if (len === 0) this.finish(ev);
        continue;
      }
      const n = Math.min(this.left, chunk.length - i);
      if (this.sgot < 4 && (this.type === FrameType.EXIT || this.type === FrameType.EOF)) {
        const k = Math.min(4 - this.sgot, n);
        chunk.copy(this.small, this.sgot, i, i + k);
        this.sgot += k;
      }
      this.left -= n;
      i += n;
      if (this.left === 0) this.finish(ev);
    }
    return ev;
  }

  private finish(ev: ScanEvents): void {
    if (this.type === FrameType.EOF && this.small[0]! > 2) throw new FrameError('bad-payload', `EOF for unknown stream ${this.small[0]}`);
    if (this.type === FrameType.EXIT) {
      ev.exit = this.small.readInt32LE(0);
      this.ended = true;
    }
    if (this.type === FrameType.ERROR) {
      ev.error = true;
      this.ended = true;
    }
  }
}
