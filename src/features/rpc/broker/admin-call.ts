// Calls a service in a qube from the admin side (source dom0) and collects its output: used for the clipboard.
import { BulkheadError } from '../../../errors/index.js';
import { encodeData, encodeEof, FrameReader, FrameType, payload, StreamId } from '../frame.js';
import type { AgentRegistry } from './agents.js';

export interface AdminCallResult {
  stdout: Buffer;
  stderr: string;
  code: number;
}

export async function adminCall(
  agents: AgentRegistry,
  qube: string,
  service: string,
  input: Buffer,
  opts: { timeoutMs: number; maxOutput: number; source?: string },
): Promise<AdminCallResult> {
  const conn = await agents.open(qube, { source: opts.source ?? 'dom0', service, user: 'user' }, opts.timeoutMs);
  const { sock } = conn;
  return new Promise((resolve, reject) => {
    const reader = new FrameReader();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (e: Error | null, code = 0) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (e) reject(e);
      else resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8'), code });
    };
    const timer = setTimeout(() => finish(new BulkheadError('ERR_TIMEOUT', `${service} in '${qube}' took too long`)), opts.timeoutMs);
    const onData = (chunk: Buffer) => {
      try {
        for (const f of reader.push(chunk)) {
          if (f.type === FrameType.STDOUT || f.type === FrameType.STDERR) {
            size += f.payload.length;
            if (size > opts.maxOutput) return finish(new BulkheadError('ERR_INVALID_VALUE', `${service} in '${qube}' sent more than ${opts.maxOutput} bytes`));
            (f.type === FrameType.STDOUT ? out : err).push(Buffer.from(f.payload));
          } else if (f.type === FrameType.EXIT) return finish(null, payload.exit(f));
          else if (f.type === FrameType.ERROR) return finish(new BulkheadError('ERR_EXEC', payload.error(f).message));
        }
      } catch (e) {
        finish(e as Error);
      }
    };
    if (conn.rest.length) onData(conn.rest);
    sock.on('data', onData);
    // A service that exits without reading its input (bulkhead.ClipboardRead) may close the
    // connection before our EOF frame is written: EPIPE then, while its output and exit code
    // arrive; only a close without an exit code is a failure.
    sock.on('error', (e) => {
      if ((e as NodeJS.ErrnoException).code !== 'EPIPE') finish(e);
    });
    sock.on('close', () => finish(new BulkheadError('ERR_EXEC', `${service} in '${qube}' ended without an exit code`)));
    sock.resume();
    for (const f of encodeData(FrameType.STDIN, input)) sock.write(f);
    sock.write(encodeEof(StreamId.STDIN));
  });
}
