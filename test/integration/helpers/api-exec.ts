// A qube command through the admin API's exec upgrade (what `bulkhead run` does, without spawning the CLI): its exit code.
import { PassThrough, Readable } from 'node:stream';
import { execRequest, pumpStdio } from '../../../src/cli/verbs/run.js';
import type { ExecParams } from '../../../src/contract/system.js';

export async function apiExec(path: string, params: ExecParams): Promise<number> {
  const { socket } = await execRequest(path, params);
  const sink = new PassThrough();
  sink.resume();
  return pumpStdio(socket, Readable.from([]), sink, sink);
}
