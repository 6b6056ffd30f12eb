// Joins a caller and a service connection: bytes flow both ways with backpressure, frames are checked, EXIT ends the call.
import type { Socket } from 'node:net';
import { encodeError, FrameType } from '../frame.js';
import { FrameScanner } from './scanner.js';

const FROM_CALLER = new Set<number>([FrameType.STDIN, FrameType.EOF]);
const FROM_SERVICE = new Set<number>([FrameType.STDOUT, FrameType.STDERR, FrameType.EOF, FrameType.EXIT, FrameType.ERROR]);

export interface RelayResult {
  /** The service's exit code, or null when the call ended otherwise. */
  exit: number | null;
  /** How it ended: exit, error (service sent ERROR), caller-gone, service-gone, protocol, timeout. */
  end: 'exit' | 'error' | 'caller-gone' | 'service-gone' | 'protocol' | 'timeout';
  bytesIn: number;
  bytesOut: number;
}

export interface RelayOptions {
  /** Cut the call after this long (0 = never). */
  timeoutMs?: number;
}

export function relay(caller: Socket, callerRest: Buffer, service: Socket, serviceRest: Buffer, opts: RelayOptions = {}): Promise<RelayResult> {
  return new Promise((resolve) => {
    const up = new FrameScanner(FROM_CALLER);
    const down = new FrameScanner(FROM_SERVICE);
    const res: RelayResult = { exit: null, end: 'exit', bytesIn: 0, bytesOut: 0 };
    let finished = false;
    const finish = (end: RelayResult['end'], tell?: string) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      res.end = end;
      if (end === 'exit' || end === 'error') {
        caller.end();
        service.end();
      } else {
        if (tell && down.atBoundary && !caller.destroyed) caller.end(encodeError(1, tell));
        else caller.destroy();
        service.destroy();
      }
      resolve(res);
    };
    const timer = opts.timeoutMs ? setTimeout(() => finish('timeout', 'the call took too long'), opts.timeoutMs) : undefined;

    const fromCaller = (chunk: Buffer) => {
      if (finished) return;
      try {
        up.push(chunk);
      } catch {
        finish('protocol');
        return;
      }
      res.bytesIn += chunk.length;
      if (!service.write(chunk)) caller.pause();
    };
    const fromService = (chunk: Buffer) => {
      if (finished) return;
      let ev;
      try {
        ev = down.push(chunk);
      } catch {
        finish('protocol', 'the service broke the protocol');
        return;
      }
      res.bytesOut += chunk.length;
      if (!caller.write(chunk)) service.pause();
      if (ev.exit !== undefined) {
        res.exit = ev.exit;
        finish('exit');
      } else if (ev.error) finish('error');
    };
    service.on('drain', () => caller.resume());
    caller.on('drain', () => service.resume());
    caller.on('error', () => finish('caller-gone'));
    service.on('error', () => finish('service-gone', 'the service connection failed'));
    caller.on('close', () => finish('caller-gone'));
    service.on('close', () => finish('service-gone', 'the service ended without an exit code'));
    caller.on('end', () => {
      if (!finished) finish('caller-gone');
    });
    service.on('end', () => {
      if (!finished) finish('service-gone', 'the service ended without an exit code');
    });
    if (callerRest.length) fromCaller(callerRest);
    if (serviceRest.length) fromService(serviceRest);
    caller.on('data', fromCaller);
    service.on('data', fromService);
    caller.resume();
    service.resume();
  });
}
