// Acquisition of a qube (NIST SP 800-86 "collection"): private volume as a raw ext4 image, root changes, and for a running qube, frozen, its processes and their memory; a manifest with SHA-256 of each artefact.
import type { AcquireManifestReply, Artefact } from '../../../contract/forensics.js';
import { promises as fsp, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { BulkheadError } from '../../../errors/index.js';
import { run } from '../../../exec/index.js';
import { effective, usesTemplate } from '../../../model/index.js';
import type { DaemonContext } from '../../../daemon/context.js';
import { isRunning } from '../../../daemon/lifecycle/power.js';
import { runtimeId } from '../../../daemon/lifecycle/spec.js';
import { volumePaths } from '../../../storage/index.js';
import { isImage, makeImage } from '../../../storage/image.js';
import { copyHashed, hashFile } from './copy-hash.js';
import { dumpMemory, listProcesses, type ProcessRecord } from './processes.js';

/** The manifest of the contract, with each process's record as acquisition makes it. */
export type AcquireManifest = Omit<AcquireManifestReply, 'processes'> & { processes?: ProcessRecord[] };
export type { Artefact };

const VERSION = (() => {
  try {
    return (JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
})();

const isDirNoFollow = (p: string) => statSync(p, { throwIfNoEntry: false })?.isDirectory() === true;

/** A new, empty, root-only output directory (its parent must exist; nothing is overwritten). */
async function makeOut(out: string): Promise<void> {
  if (!out.startsWith('/')) throw new BulkheadError('ERR_INVALID_VALUE', `--out: '${out}' is not an absolute path`);
  if (!isDirNoFollow(dirname(out))) throw new BulkheadError('ERR_INVALID_VALUE', `--out: the parent of ${out} is not a directory`);
  try {
    await fsp.mkdir(out, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST')
      throw new BulkheadError('ERR_INVALID_VALUE', `--out: ${out} exists; acquisition writes only into a new directory`);
    throw e;
  }
}

export async function acquireQube(ctx: DaemonContext, name: string, out: string, opts: { memory?: boolean } = {}): Promise<AcquireManifest> {
  const q = ctx.store.requireQube(name);
  if (q.klass === 'admin') throw new BulkheadError('ERR_INVALID_VALUE', `'${name}' is the admin qube`);
  await makeOut(out);
  // Nothing starts, stops or commits this qube while it is acquired.
  return ctx.locks.run(name, async () => {
    const startedAt = new Date().toISOString();
    const vp = volumePaths(ctx.paths.qubesDir, name);
    const id = runtimeId(ctx, name);
    const inst = isRunning(ctx, name) ? await ctx.runtime.state(id) : null;
    const live = inst !== null && inst.status !== 'stopped';
    const artefacts: Artefact[] = [];
    const notes: string[] = [];
    const add = (path: string, what: string, c: { bytes: number; sha256: string }) =>
      artefacts.push({ path: relative(out, path), what, bytes: c.bytes, sha256: c.sha256 });
    let frozenAt: string | null = null;
    let thawedAt: string | null = null;
    let processes: ProcessRecord[] | undefined;
    const wasPaused = inst?.status === 'paused';
    try {
      if (live && !wasPaused) {
        await ctx.runtime.pause(id);
        frozenAt = new Date().toISOString();
      }
      if (live) {
        // Processes first: the list and memory as frozen.
        processes = await listProcesses(inst.pid);
        if (opts.memory !== false) {
          const memDir = join(out, 'memory');
          await fsp.mkdir(memDir, { mode: 0o700 });
          for (const p of processes) {
            try {
              p.memory = await dumpMemory(p.pid, memDir);
              add(p.memory.file, `memory of pid ${p.pid} (${p.name}), ${p.memory.regions} regions`, p.memory);
              add(p.memory.maps, `memory map of pid ${p.pid} with offsets into its .mem file`, await hashFile(p.memory.maps));
            } catch (e) {
              notes.push(`memory of pid ${p.pid} (${p.name}) not read: ${(e as Error).message}`);
            }
          }
        }
        const pl = join(out, 'processes.json');
        await fsp.writeFile(pl, `${JSON.stringify(processes, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
        add(pl, 'process list: pid, parent, ids, state, resident memory, command line (host pids)', await hashFile(pl));
      }
      // Private volume: the image as is (flushed first when mounted), or an image made from a directory volume.
      const privImg = join(out, 'private.img');
      if (await isImage(vp.private)) {
        if (live) await run('sync', ['-f', vp.privateMnt], { timeoutMs: 120_000 });
        add(privImg, 'private volume (/rw, /home/user): raw ext4 image', await copyHashed(vp.private, privImg));
      } else if (isDirNoFollow(vp.private)) {
        // A disposable's tmpfs (frozen: nothing changes under mkfs) or a directory volume of an older qube.
        await makeImage(privImg, effective(q, 'private_size', ctx.store.system()) as number, vp.private, { uid: 0, gid: 0 });
        add(
          privImg,
          `private volume (/rw, /home/user): raw ext4 image made from its ${q.klass === 'disposable' ? 'tmpfs' : 'directory'} by mkfs.ext4 -d`,
          await hashFile(privImg),
        );
      }
      // Root changes: a template's or standalone's root image; the overlay upper of a running app qube or disposable.
      if (!usesTemplate(q.klass) && (await isImage(vp.root))) {
        if (live) await run('sync', ['-f', vp.rootMnt], { timeoutMs: 120_000 });
        const img = join(out, 'root-changes.img');
        add(img, 'root changes (overlay upper and work in an ext4 image)', await copyHashed(vp.root, img));
      } else {
        const upper = vp.rootUpper;
        if (isDirNoFollow(upper) && (live || !usesTemplate(q.klass))) {
          const tar = join(out, 'root-changes.tar');
          // tar never follows links; whiteouts (deleted files) stay as 0/0 character devices.
          await run('tar', ['--numeric-owner', '--xattrs', '--acls', '-cf', tar, '-C', upper, '.'], { timeoutMs: 600_000 });
          add(tar, 'root changes: the overlay upper as a tar (whiteouts mark deleted files)', await hashFile(tar));
        } else {
          notes.push(`no root changes: a ${q.klass} qube's root layer is discarded at stop`);
        }
      }
    } finally {
      if (frozenAt) {
        await ctx.runtime.unpause(id).then(
          () => {
            thawedAt = new Date().toISOString();
          },
          (e: unknown) => {
            ctx.log.error({ err: e, qube: name }, 'acquisition: thaw failed');
            notes.push(`thaw failed: ${(e as Error).message}`);
          },
        );
      }
    }
    if (frozenAt && !thawedAt) throw new BulkheadError('ERR_RUNTIME', `'${name}' could not be thawed after acquisition; 'bulkhead unpause ${name}'`);
    const manifest: AcquireManifest = {
      tool: { name: 'bulkhead', version: VERSION },
      qube: {
        name,
        klass: q.klass,
        template: usesTemplate(q.klass) ? String(effective(q, 'template', ctx.store.system())) : null,
        state: live ? (wasPaused ? 'paused' : 'running') : 'halted',
      },
      startedAt,
      finishedAt: new Date().toISOString(),
      frozenAt,
      thawedAt,
      artefacts,
      notes,
      processes,
    };
    await fsp.writeFile(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    // sha256sum -c manifest.sha256 checks every artefact.
    await fsp.writeFile(join(out, 'manifest.sha256'), artefacts.map((a) => `${a.sha256}  ${a.path}\n`).join(''), { mode: 0o600, flag: 'wx' });
    ctx.store.audit('admin', 'forensics-acquired', name, { out, state: manifest.qube.state, artefacts: artefacts.length, frozenAt, thawedAt });
    return manifest;
  });
}
