// Starting one lab tor in a namespace and connecting to its control socket.
import { readFile } from 'node:fs/promises';
import { BulkheadError } from '../../errors/index.js';
import { TorControl } from '../../tor-control/index.js';
import { isRunning, spawnInNetns, stopProcesses, type LabProcess } from './process.js';
import { torWait } from './ready.js';
import { waitUntil } from '../../exec/index.js';

export interface RunningTor {
  process: LabProcess;
  control: TorControl;
}

async function logTail(dataDir: string): Promise<string> {
  try {
    return (await readFile(`${dataDir}/notice.log`, 'utf8')).trim().split('\n').slice(-5).join(' | ');
  } catch {
    return '';
  }
}

/** `tor --defaults-torrc EMPTY -f TORRC` inside `netns` with MALLOC_ARENA_MAX=1; resolves once its control socket answers. */
export async function startTor(opts: {
  netns: string;
  torrcPath: string;
  emptyFile: string;
  dataDir: string;
  nick: string;
  timeoutMs?: number;
}): Promise<RunningTor> {
  const proc = spawnInNetns(opts.netns, 'tor', ['--defaults-torrc', opts.emptyFile, '-f', opts.torrcPath], { MALLOC_ARENA_MAX: '1' });
  try {
    const control = await waitUntil(`tor ${opts.nick} control socket`, torWait(opts.timeoutMs ?? 20_000, 100), async () => {
      if (!isRunning(proc)) {
        throw new BulkheadError(
          'ERR_EXEC',
          `tor ${opts.nick} exited (${proc.child.exitCode ?? proc.child.signalCode}): ${proc.tail().trim().split('\n').slice(-3).join(' | ')} ${await logTail(opts.dataDir)}`,
        );
      }
      return TorControl.open({ target: { path: `${opts.dataDir}/control.sock` }, cookieFile: `${opts.dataDir}/control_auth_cookie` });
    });
    return { process: proc, control };
  } catch (e) {
    await stopProcesses([proc], 3000);
    throw e;
  }
}
