// Verb daemon start|stop|status|install|uninstall: runs bulkheadd in the background, or as a systemd service.
import { pollFor, sleep } from '../../exec/index.js';
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readPid } from '../../daemon/instance.js';
import { resolvePaths } from '../../daemon/paths.js';
import { startErrorLine } from '../../daemon/start-error.js';
import { apiClient } from '../client.js';

/** Removes `dir` and its parents up to `top` while they are empty (rmdir never removes content). */
function removeEmptyUpTo(dir: string, top: string): void {
  for (let d = dir; d.startsWith(top); d = dirname(d)) {
    try {
      rmdirSync(d);
    } catch {
      return;
    }
    if (d === top) return;
  }
}

async function version(): Promise<{ pid: number; prefix: string } | null> {
  try {
    return await apiClient().call('version');
  } catch {
    return null;
  }
}

export interface DaemonOptions {
  shutdownQubes?: boolean;
  timeout?: string;
  force?: boolean;
  unitDir?: string;
}

/** A positive whole number of seconds from an option, or one clear error naming it. */
export function seconds(option: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isInteger(n) || n <= 0 || n > 3600) throw new Error(`${option}: '${v}' is not a whole number of seconds from 1 to 3600`);
  return n;
}

export async function daemon(action: string, o: DaemonOptions = {}): Promise<string> {
  const paths = resolvePaths();
  if (action === 'install' || action === 'uninstall') {
    const { installService, uninstallService } = await import('../../service/install.js');
    const so = { unitDir: o.unitDir ?? '/etc/systemd/system', home: paths.home, force: o.force };
    return action === 'install' ? installService(so) : uninstallService(so);
  }
  if (action === 'status') {
    const v = await version();
    if (!v) throw new Error(`bulkheadd is not running (state ${paths.home})`);
    return `bulkheadd running pid=${v.pid} prefix=${v.prefix} state=${paths.home}\n`;
  }
  if (action === 'start') {
    const uid = process.getuid?.() ?? 0;
    if (uid !== 0) throw new Error(`daemon start must run as root (uid 0, not ${uid}): bulkheadd creates namespaces, mounts, cgroups and nftables rules`);
    const running = readPid(paths.pidFile);
    if (running) throw new Error(`another bulkheadd (pid ${running}) already runs on this state directory`);
    const main = fileURLToPath(new URL('../../daemon/main.js', import.meta.url));
    const isTs = main.endsWith('.ts') || import.meta.url.endsWith('.ts');
    const args = isTs ? ['--import', 'tsx', main.replace(/\.js$/, '.ts')] : [main];
    const errFile = paths.errFile;
    let errFd: number;
    // The first directory this start creates (none when the state directory exists): removed again if it fails.
    let made: string | undefined;
    try {
      made = mkdirSync(paths.adminDir, { recursive: true, mode: 0o700 });
      errFd = openSync(errFile, 'w', 0o600);
    } catch (e) {
      throw new Error(startErrorLine(e, paths.home));
    }
    const child = spawn(process.execPath, ['--title=bulkheadd', ...args], {
      detached: true,
      stdio: ['ignore', 'ignore', errFd],
      env: process.env,
    });
    closeSync(errFd);
    let exited: number | null = null;
    child.on('exit', (code) => {
      exited = code ?? 1;
    });
    child.unref();
    for (let i = 0; i < 300; i++) {
      const v = await version();
      if (v) return `bulkheadd started pid=${v.pid}\n`;
      if (exited !== null) {
        // bulkheadd's own last line says why; its file, and directories only this start made, go with it.
        const why = readFileSync(errFile, 'utf8').trim();
        rmSync(errFile, { force: true });
        if (made) removeEmptyUpTo(paths.adminDir, made);
        throw new Error(why || `bulkheadd exited with ${exited}`);
      }
      await sleep(50);
    }
    throw new Error('bulkheadd did not come up within 15 s');
  }
  if (action === 'stop') {
    const timeout = seconds('--timeout', o.timeout);
    let pid = readPid(paths.pidFile);
    if (!pid) return 'bulkheadd is not running\n';
    let out = '';
    // A qube that would not stop is reported, but the daemon stops regardless (the unit's ExecStop relies on it).
    let failed: Error | null = null;
    if (o.shutdownQubes) {
      try {
        out = await shutdownEveryQube(timeout);
      } catch (e) {
        failed = e instanceof Error ? e : new Error(String(e));
      }
    }
    pid = readPid(paths.pidFile);
    if (!pid) return `${out}bulkheadd is not running\n`;
    process.kill(pid, 'SIGTERM');
    if (await pollFor(() => !readPid(paths.pidFile), 10_000, 50)) {
      if (failed) throw new Error(`${failed.message}\nbulkheadd stopped`);
      return `${out}bulkheadd stopped\n`;
    }
    throw new Error(`bulkheadd (pid ${pid}) did not stop within 10 s`);
  }
  throw new Error(`daemon: unknown action '${action}' (start, stop, status, install, uninstall)`);
}

/** Every qube shut down in netvm-chain order (qvm-shutdown --all); one line per step, then failures. */
export async function shutdownEveryQube(timeout: number | undefined): Promise<string> {
  const r = await apiClient().call('shutdown-all', { body: timeout === undefined ? {} : { timeout } });
  let out = r.steps.length ? '' : 'no qube was running\n';
  for (const step of r.steps) out += `shut down: ${step.filter((n) => r.stopped.includes(n)).join(' ') || '-'}\n`;
  if (r.failed.length) {
    throw new Error(`${out}could not shut down: ${r.failed.map((f) => `${f.qube} (${f.reason})`).join('; ')}`);
  }
  return out;
}
