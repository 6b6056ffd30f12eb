// The pid record of the window service of one X display, under the daemon's run directory: at most one service per display.
import { mkdirSync, openSync, writeSync, closeSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { resolvePaths } from '../daemon/paths.js';
import { BulkheadError } from '../errors/index.js';
import { livePid, pidRecordText } from '../exec/index.js';

/** ":N" or ":N.S" only: the display names a local X server (a TCP host is not a session of this machine's admin). */
export function checkDisplay(display: string): string {
  if (!/^:\d{1,5}(\.\d{1,3})?$/.test(display)) throw new BulkheadError('ERR_DISPLAY', `display '${display}' is not a local X display (:N)`);
  return display;
}

export function guiRecordFile(display: string, runDir = resolvePaths().runDir): string {
  return join(runDir, 'gui', `display-${checkDisplay(display).slice(1)}.pid`);
}

/** Claims the record for this process; the pid of a live service that holds it already, or null once claimed. */
export function claimRecord(file: string): number | null {
  mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, pidRecordText(process.pid));
      closeSync(fd);
      return null;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const other = livePid(file);
      if (other !== null && other !== process.pid) return other;
      // A record of a service that is gone (or half-written by one that died): take its place.
      unlinkSync(file);
    }
  }
  throw new BulkheadError('ERR_DISPLAY', `cannot claim ${file}`);
}

export function releaseRecord(file: string): void {
  if (livePid(file) === process.pid) unlinkSync(file);
}
