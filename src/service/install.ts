// Writes or removes bulkheadd's systemd unit, and enables it through systemctl when systemd runs the machine.
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BulkheadError } from '../errors/index.js';
import { run } from '../exec/index.js';
import { UNIT_MARK, UNIT_NAME, unitText } from './unit.js';

/** The checkout bulkhead runs from (dist/service/install.js or src/service/install.ts, two levels up). */
const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface ServiceOptions {
  unitDir: string;
  home: string;
  force?: boolean;
}

/** systemd's own test (sd_booted): this directory exists only when systemd is PID 1. */
export function systemdRuns(): boolean {
  return existsSync('/run/systemd/system');
}

async function systemctl(args: string[]): Promise<void> {
  const r = await run('systemctl', args, { allowFail: true, timeoutMs: 60_000 });
  if (r.code !== 0) throw new BulkheadError('ERR_EXEC', `systemctl ${args.join(' ')} failed: ${(r.stderr || r.stdout).trim()}`);
}

function unitDirOf(dir: string): string {
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw new BulkheadError('ERR_INVALID_VALUE', `unit directory ${dir} does not exist`);
  }
  if (!st.isDirectory()) throw new BulkheadError('ERR_INVALID_VALUE', `unit directory ${dir} is not a directory`);
  return dir;
}

export async function installService(o: ServiceOptions): Promise<string> {
  const text = unitText({ node: process.execPath, repo: REPO, home: o.home });
  const file = join(unitDirOf(o.unitDir), UNIT_NAME);
  let old: string | null = null;
  try {
    old = readFileSync(file, 'utf8');
  } catch {
    /* none yet */
  }
  let out: string;
  if (old === text) out = `${file} is already installed and unchanged\n`;
  else {
    if (old !== null && !o.force)
      throw new BulkheadError('ERR_INVALID_VALUE', `${file} exists and differs from the unit this bulkhead writes; replace it with --force`);
    // Written whole under a temporary name and renamed: systemd never reads half a unit.
    writeFileSync(`${file}.tmp`, text, { mode: 0o644 });
    renameSync(`${file}.tmp`, file);
    out = `${old === null ? 'wrote' : 'replaced'} ${file} (state ${o.home})\n`;
  }
  if (systemdRuns()) {
    await systemctl(['daemon-reload']);
    await systemctl(['enable', UNIT_NAME]);
    return `${out}enabled ${UNIT_NAME}: it starts at boot. Start it now (after \`bulkhead daemon stop\` if a daemon runs): systemctl start ${UNIT_NAME}\n`;
  }
  return `${out}systemd is not PID 1 on this machine: nothing was enabled. On a machine run by systemd: systemctl daemon-reload && systemctl enable --now ${UNIT_NAME}\n`;
}

export async function uninstallService(o: ServiceOptions): Promise<string> {
  const file = join(unitDirOf(o.unitDir), UNIT_NAME);
  let old: string;
  try {
    old = readFileSync(file, 'utf8');
  } catch {
    return `no ${file}: nothing to remove\n`;
  }
  if (!old.startsWith(UNIT_MARK) && !o.force)
    throw new BulkheadError('ERR_INVALID_VALUE', `${file} was not written by bulkhead daemon install; remove it with --force`);
  let out = '';
  if (systemdRuns()) {
    await systemctl(['disable', UNIT_NAME]);
    out += `disabled ${UNIT_NAME}\n`;
  }
  rmSync(file);
  out += `removed ${file}\n`;
  if (systemdRuns()) {
    await systemctl(['daemon-reload']);
    out += `a daemon the unit started keeps running until \`systemctl stop ${UNIT_NAME}\` or \`bulkhead daemon stop --shutdown-qubes\`\n`;
  }
  return out;
}
