// A lab tor client (for tests and checks): SOCKS inside the lab namespace, optionally only through the obfs4 bridge.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import type { TorControl } from '../../tor-control/index.js';
import { startTor } from './node.js';
import { stopProcesses } from './process.js';
import { bootstrapProgress, torWait } from './ready.js';
import { waitUntil } from '../../exec/index.js';
import { clientTorrc } from './torrc.js';

export interface LabClientOptions {
  netns: string;
  /** Directory of this client's torrc and DataDirectory (created 0700, removed by stop()). */
  dataDir: string;
  nick: string;
  dirAuthorityLines: readonly string[];
  socksPort: number;
  controlPort: number;
  /** Use only this obfs4 bridge (`obfs4 ADDR:PORT FP cert=… iat-mode=N`). */
  bridgeLine?: string;
  bootstrapTimeoutMs?: number;
}

export interface LabClient {
  pid: number;
  socksPort: number;
  control: TorControl;
  /** ms from launch to PROGRESS=100. */
  bootstrapMs: number;
  stop(): Promise<void>;
}

export async function startLabClient(o: LabClientOptions): Promise<LabClient> {
  await mkdir(o.dataDir, { recursive: true, mode: 0o700 });
  const emptyFile = `${o.dataDir}/empty`;
  await writeFile(emptyFile, '');
  const torrcPath = `${o.dataDir}/torrc`;
  await writeFile(
    torrcPath,
    clientTorrc({
      plan: { emptyFile },
      dataDir: o.dataDir,
      nick: o.nick,
      dirAuthorityLines: o.dirAuthorityLines,
      ownerPid: process.pid,
      socksPort: o.socksPort,
      controlPort: o.controlPort,
      bridgeLine: o.bridgeLine,
    }),
    { mode: 0o600 },
  );
  const t0 = Date.now();
  const tor = await startTor({ netns: o.netns, torrcPath, emptyFile, dataDir: o.dataDir, nick: o.nick });
  const stop = async (): Promise<void> => {
    tor.control.close();
    await stopProcesses([tor.process], 5000);
  };
  try {
    await waitUntil(`tor client ${o.nick} bootstrap`, torWait(o.bootstrapTimeoutMs ?? 60_000, 100), async () =>
      (await bootstrapProgress(tor.control)) >= 100 ? true : undefined,
    );
  } catch (e) {
    await stop();
    throw e;
  }
  return { pid: tor.process.pid, socksPort: o.socksPort, control: tor.control, bootstrapMs: Date.now() - t0, stop };
}

/** Removes a stopped client's directory. */
export async function removeLabClientDir(dataDir: string): Promise<void> {
  await rm(dataDir, { recursive: true, force: true });
}
