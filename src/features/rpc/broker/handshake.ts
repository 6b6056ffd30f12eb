// Reads the first frames of a connection (HELLO, CALL) without swallowing what follows them.
import type { Socket } from 'node:net';
import { BulkheadError } from '../../../errors/index.js';
import { checkFrame, FRAME_HEADER_SIZE, FrameError, FrameType, type Frame } from '../frame.js';

/** Takes one complete frame from the front of buf, or null when more bytes are needed. */
export function takeFrame(buf: Buffer): { frame: Frame; rest: Buffer } | null {
  if (buf.length < FRAME_HEADER_SIZE) return null;
  if (buf[1] !== 0 || buf[2] !== 0 || buf[3] !== 0) throw new FrameError('reserved', 'reserved header bytes are not zero');
  const type = buf[0]!;
  const len = buf.readUInt32LE(4);
  checkFrame(type, len);
  if (buf.length < FRAME_HEADER_SIZE + len) return null;
  return { frame: { type, payload: buf.subarray(FRAME_HEADER_SIZE, FRAME_HEADER_SIZE + len) }, rest: buf.subarray(FRAME_HEADER_SIZE + len) };
}

/** The role a HELLO announces: its bytes after the version, as text. */
export function helloRole(f: Frame): { version: number; role: string } {
  if (f.type !== FrameType.HELLO) throw new FrameError('bad-payload', 'the first frame must be HELLO');
  return { version: f.payload.readUInt32LE(0), role: f.payload.subarray(4).toString('utf8') };
}

/**
 * Reads `count` frames from a fresh socket, then pauses it. Resolves with the frames and any
 * bytes that arrived after them (they belong to the call and are relayed later).
 */
export function readHandshake(sock: Socket, count: number, timeoutMs: number): Promise<{ frames: Frame[]; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    const frames: Frame[] = [];
    const done = (e?: Error) => {
      clearTimeout(timer);
      sock.off('data', onData);
      sock.off('end', onEnd);
      sock.off('error', onEnd);
      sock.pause();
      if (e) reject(e);
      else resolve({ frames, rest: buf });
    };
    const onEnd = () => done(new BulkheadError('ERR_BAD_REQUEST', 'rpc: connection closed during the handshake'));
    const onData = (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      try {
        while (frames.length < count) {
          const t = takeFrame(buf);
          if (!t) break;
          frames.push({ type: t.frame.type, payload: Buffer.from(t.frame.payload) });
          buf = t.rest;
        }
      } catch (e) {
        done(e as Error);
        return;
      }
      if (frames.length === count) done();
      else if (buf.length > 2 * 65536 + 16) done(new BulkheadError('ERR_BAD_REQUEST', 'rpc: handshake too long'));
    };
    const timer = setTimeout(() => done(new BulkheadError('ERR_TIMEOUT', 'rpc: no handshake in time')), timeoutMs);
    sock.on('data', onData);
    sock.on('end', onEnd);
    sock.on('error', onEnd);
  });
}
