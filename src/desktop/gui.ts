// `bulkhead gui`: the window service for one X display, until SIGTERM or SIGINT.
import { resolvePaths } from '../daemon/paths.js';
import { BulkheadError } from '../errors/index.js';
import { livePid, pidAlive, pollFor } from '../exec/index.js';
import { apiDisplaySource } from './api-source.js';
import { WindowService } from './service.js';
import { checkDisplay, claimRecord, guiRecordFile, releaseRecord } from './service-record.js';
import { openDisplay } from './x11/connection.js';

export interface GuiOptions {
  display?: string;
  log?: (msg: string) => void;
}

/** Which display to serve: --display, else $DISPLAY (a Wayland session gives one through XWayland). */
export function displayToServe(explicit: string | undefined, env: NodeJS.ProcessEnv): string {
  const d = explicit ?? env.DISPLAY;
  if (!d) {
    const hint = env.WAYLAND_DISPLAY ? ' (this is a Wayland session: bulkhead gui draws through XWayland, which sets DISPLAY; enable XWayland)' : '';
    throw new BulkheadError('ERR_DISPLAY', `no X display: give --display :N or set DISPLAY${hint}`);
  }
  return checkDisplay(d);
}

export async function runGui(o: GuiOptions): Promise<string> {
  const display = displayToServe(o.display, process.env);
  const log = o.log ?? ((m: string) => process.stderr.write(`bulkhead gui ${display}: ${m}\n`));
  const file = guiRecordFile(display);
  const other = claimRecord(file);
  if (other !== null) return `a window service already runs for ${display} (pid ${other})\n`;
  try {
    const xc = await openDisplay(display);
    const service = new WindowService({ xc, source: apiDisplaySource(resolvePaths().socket), log });
    service.start();
    log('ready');
    const why = await new Promise<string>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
      xc.X.on('end', () => resolve('the X display closed'));
    });
    log(`stopping (${why})`);
    await service.stop();
    await new Promise<void>((r) => xc.X.close(() => r()));
    return '';
  } finally {
    releaseRecord(file);
  }
}

/** `bulkhead gui --stop`: ends the service of a display by its pid record (pid and start time, never a reused pid). */
export async function stopGui(o: GuiOptions): Promise<string> {
  const display = displayToServe(o.display, process.env);
  const file = guiRecordFile(display);
  const pid = livePid(file);
  if (pid === null) return `no window service runs for ${display}\n`;
  process.kill(pid, 'SIGTERM');
  const gone = await pollFor(() => !pidAlive(pid), 10000, 50);
  if (!gone) throw new BulkheadError('ERR_TIMEOUT', `the window service for ${display} (pid ${pid}) did not end within 10 s`);
  return `stopped the window service for ${display} (pid ${pid})\n`;
}
