// Verb daemon start|stop|status: runs bulkheadd in the background on this state directory.
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readPid } from '../../daemon/instance.js';
import { resolvePaths } from '../../daemon/paths.js';
import { apiClient } from '../client.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function version(): Promise<{ pid: number; prefix: string } | null> {
  try { return await apiClient().request<{ pid: number; prefix: string }>('GET', '/version'); } catch { return null; }
}

export async function daemon(action: string): Promise<string> {
  const paths = resolvePaths();
  if (action === 'status') {
    const v = await version();
    if (!v) throw new Error(`bulkheadd is not running (state ${paths.home})`);
    return `bulkheadd running pid=${v.pid} prefix=${v.prefix} state=${paths.home}\n`;
  }
  if (action === 'start') {
    const running = readPid(paths.pidFile);
    if (running) throw new Error(`another bulkheadd (pid ${running}) already runs on this state directory`);
    const main = fileURLToPath(new URL('../../daemon/main.js', import.meta.url));
    const isTs = main.endsWith('.ts') || import.meta.url.endsWith('.ts');
    const args = isTs ? ['--import', 'tsx', main.replace(/\.js$/, '.ts')] : [main];
    const errFile = `${paths.adminDir}/bulkheadd.stderr`;
    const { mkdirSync } = await import('node:fs');
    mkdirSync(paths.adminDir, { recursive: true, mode: 0o700 });
    const child = spawn(process.execPath, ['--title=bulkheadd', ...args], {
      detached: true, stdio: ['ignore', 'ignore', openSync(errFile, 'w')], env: process.env,
    });
    let exited: number | null = null;
    child.on('exit', (code) => { exited = code ?? 1; });
    child.unref();
    for (let i = 0; i < 300; i++) {
      const v = await version();
      if (v) return `bulkheadd started pid=${v.pid}\n`;
      if (exited !== null) {
        const { readFileSync } = await import('node:fs');
        throw new Error(readFileSync(errFile, 'utf8').trim() || `bulkheadd exited with ${exited}`);
      }
      await sleep(50);
    }
    throw new Error('bulkheadd did not come up within 15 s');
  }
  if (action === 'stop') {
    const pid = readPid(paths.pidFile);
    if (!pid) return 'bulkheadd is not running\n';
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 200; i++) {
      if (!readPid(paths.pidFile)) return 'bulkheadd stopped\n';
      await sleep(50);
    }
    throw new Error(`bulkheadd (pid ${pid}) did not stop within 10 s`);
  }
  throw new Error(`daemon: unknown action '${action}' (start, stop, status)`);
}
