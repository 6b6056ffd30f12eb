// Starts the window service for a display unless one runs already, so `bulkhead run QUBE -- xterm` shows its window.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BulkheadError } from '../errors/index.js';
import { livePid, waitUntil } from '../exec/index.js';
import { checkDisplay, guiRecordFile } from './service-record.js';

export async function ensureWindowService(display: string): Promise<void> {
  const file = guiRecordFile(checkDisplay(display));
  if (livePid(file) !== null) return;
  mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
  const logFile = file.replace(/\.pid$/, '.log');
  const out = openSync(logFile, 'a', 0o600);
  // The CLI entry beside this module (dist/cli/main.js; main.ts under tsx): the service is `bulkhead gui`, one process per display.
  const main = fileURLToPath(new URL('../cli/main.js', import.meta.url));
  const isTs = import.meta.url.endsWith('.ts');
  const args = isTs ? ['--import', 'tsx', main.replace(/\.js$/, '.ts')] : [main];
  const child = spawn(process.execPath, ['--title=bulkhead-gui', ...args, 'gui', '--display', display], {
    detached: true,
    stdio: ['ignore', out, out],
    env: process.env,
  });
  closeSync(out);
  let exited: number | null = null;
  child.on('exit', (c) => (exited = c ?? 1));
  child.unref();
  await waitUntil(`window service for ${display}`, { timeoutMs: 10000, intervalMs: 50 }, () => {
    if (livePid(file) !== null) return true;
    if (exited !== null) {
      const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join(' / ');
      throw new BulkheadError('ERR_DISPLAY', `bulkhead gui for ${display} exited with ${exited}: ${tail}`);
    }
    return undefined;
  });
}
