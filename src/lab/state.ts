// The lab's record on disk (namespaces, processes, uplinks, attached hosts) and the lock that serialises changes to it.
import { mkdir, open, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { BulkheadError } from '../errors/index.js';
import { labStateDir, LOCK_FILE, STATE_FILE } from './files.js';

const Proc = z.object({ name: z.string(), pid: z.number().int().positive(), startTime: z.number().int().nonnegative(), netns: z.string() }).strict();
const Host = z
  .object({
    name: z.string(),
    role: z.enum(['router', 'web', 'dns', 'attached']),
    netns: z.string(),
    addresses: z.array(z.string()),
    names: z.array(z.string()),
    /** Lab-made namespaces are deleted by lab down; an attached namespace made by someone else only loses its link. */
    owned: z.boolean(),
    routerIfname: z.string().optional(),
  })
  .strict();
const Uplink = z.object({ slot: z.number().int(), netns: z.string(), ifname: z.string(), routerIfname: z.string(), address: z.string() }).strict();

export const LabStateSchema = z
  .object({
    version: z.literal(1),
    prefix: z.string(),
    createdAt: z.string(),
    hosts: z.array(Host),
    processes: z.array(Proc),
    uplinks: z.array(Uplink),
    /** Files in the state directory that the lab wrote (removed by lab down). */
    files: z.array(z.string()),
  })
  .strict();
export type LabState = z.infer<typeof LabStateSchema>;
export type LabHostRecord = z.infer<typeof Host>;
export type LabUplinkRecord = z.infer<typeof Uplink>;
export type LabProcRecord = z.infer<typeof Proc>;

export { labStateDir, STATE_FILE };

export function labFile(stateDir: string, name: string): string {
  return join(stateDir, name);
}

export async function readLabState(stateDir: string): Promise<LabState | undefined> {
  const file = join(stateDir, STATE_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new BulkheadError('ERR_NETWORK', `${file}: not valid JSON (${(e as Error).message})`);
  }
  const parsed = LabStateSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new BulkheadError('ERR_NETWORK', `${file}: field ${i?.path.join('.') ?? '?'}: ${i?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** Write atomically (temp file + rename): a crash leaves the old or the new record, never half of one. */
export async function writeLabState(stateDir: string, state: LabState): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const file = join(stateDir, STATE_FILE);
  const tmp = `${file}.tmp`;
  await writeFile(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  await rename(tmp, file);
}

export async function removeLabStateFile(stateDir: string): Promise<void> {
  await rm(join(stateDir, STATE_FILE), { force: true });
  await rm(join(stateDir, `${STATE_FILE}.tmp`), { force: true });
}

/**
 * Run `fn` holding the lab's lock file (one change at a time, across processes). A lock older than
 * 2 min is stale. Afterwards the state directory is removed if it is empty.
 */
export async function withLabLock<T>(stateDir: string, fn: () => Promise<T>): Promise<T> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const lock = join(stateDir, LOCK_FILE);
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const h = await open(lock, 'wx', 0o600);
      await h.writeFile(String(process.pid));
      await h.close();
      break;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        // The previous holder removed the emptied directory on release.
        await mkdir(stateDir, { recursive: true, mode: 0o700 });
        continue;
      }
      if (code !== 'EEXIST') throw e;
      const age = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > 120_000) await rm(lock, { force: true });
      else if (Date.now() > deadline) throw new BulkheadError('ERR_STATE_LOCKED', `${lock}: the lab is locked by another change`);
      else await new Promise((r) => setTimeout(r, 20));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
    await rmdir(stateDir).catch(() => {}); // only succeeds once lab down emptied it
  }
}
