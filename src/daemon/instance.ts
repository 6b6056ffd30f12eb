// One daemon per state directory: a pid file created exclusively, stale ones detected by pid and start time.
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { BulkheadError } from '../errors/index.js';
import { livePid, pidRecordText } from '../exec/index.js';

/** The pid of the daemon that wrote the file, while that very process runs (a reused pid is not it). */
export function readPid(pidFile: string): number | null {
  return livePid(pidFile);
}

/** Claim the state directory; throws ERR_STATE_LOCKED when another daemon holds it. */
export function claimInstance(pidFile: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(pidFile, 'wx', 0o600);
      writeSync(fd, pidRecordText(process.pid));
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
