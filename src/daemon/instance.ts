// One daemon per state directory: a pid file created exclusively, stale ones detected by /proc.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { BulkheadError } from '../errors/index.js';

function alive(pid: number): boolean {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmd.includes('bulkheadd') || cmd.includes('daemon/main');
  } catch {
    return false;
  }
}

export function readPid(pidFile: string): number | null {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : null;
  } catch {
    return null;
  }
}

/** Claim the state directory; throws ERR_STATE_LOCKED when another daemon holds it. */
export function claimInstance(pidFile: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(pidFile, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => rmSync(pidFile, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = readPid(pidFile);
      if (pid !== null && pid !== process.pid) {
        throw new BulkheadError('ERR_STATE_LOCKED', `another bulkheadd (pid ${pid}) already runs on this state directory`);
      }
      rmSync(pidFile, { force: true }); // stale: its daemon is gone
    }
  }
  throw new BulkheadError('ERR_STATE_LOCKED', `cannot claim ${pidFile}`);
}
