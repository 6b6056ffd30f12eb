// backup create on the admin side: stopped qubes' records and volumes streamed into one new file, published only when complete.
import { promises as fsp } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { uidBaseOf, type DaemonContext } from '../../daemon/context.js';
import { isRunning } from '../../daemon/lifecycle/power.js';
import { BulkheadError } from '../../errors/index.js';
import { policyDir } from '../rpc/broker/index.js';
import { isDir, isImage, randomSuffix, treeUsage, volumePaths, waitImageReleased } from '../../storage/index.js';
import type { QubeRecord } from '../../model/index.js';
import { MANIFEST_VERSION, entryName, type Manifest, type ManifestEntry, type ManifestQube } from './manifest.js';
import { selectForBackup } from './plan.js';
import { policyReferences } from './policy-refs.js';
import { volumeSource } from './streams.js';
import { BackupWriter, type WriterOptions } from './writer.js';
import type { BackupProgress, CreateResult } from '../../contract/backup.js';
export type { CreateResult };
export type { BackupProgress };

export interface CreateOptions extends WriterOptions {
  file: string;
  qubes: string[];
  passphrase: string;
  templates?: boolean;
}

interface Planned {
  entry: ManifestEntry;
  path: string;
  /** What tar will read (an image's allocated blocks): the progress total. */ readBytes: number;
}

async function entriesOf(ctx: DaemonContext, q: QubeRecord): Promise<Planned[]> {
  const p = volumePaths(ctx.paths.qubesDir, q.name);
  const out: Planned[] = [];
  const add = async (volume: ManifestEntry['volume'], path: string) => {
    if (await isImage(path)) {
      const st = await fsp.stat(path);
      out.push({
        entry: { name: entryName(q.name, volume, 'image'), qube: q.name, volume, format: 'image', bytes: st.size },
        path,
        readBytes: st.blocks * 512,
      });
    } else if (await isDir(path)) {
      const bytes = (await treeUsage(path)).apparentBytes;
      out.push({ entry: { name: entryName(q.name, volume, 'tree'), qube: q.name, volume, format: 'tree', bytes }, path, readBytes: bytes });
    } else if (volume === 'private') {
      throw new BulkheadError('ERR_VOLUME', `'${q.name}' has no private volume at ${path}`);
    }
  };
  await add('private', p.private);
  if (q.klass === 'template' || q.klass === 'standalone') {
    await add('root', p.root);
    await add('rootfs', p.rootfs);
  }
  return out;
}

/**
 * Back up stopped qubes into `file` (which must not exist). A running qube is refused, not
 * snapshotted: its volumes change under the reader and a qube can swap files for symlinks, so
 * (as for clone) only a stopped qube is read; each qube's lock is held while its volumes are
 * read, so it cannot start meanwhile. The file is written under a temporary name beside
 * `file` and linked to its name once the trailer is on disk; on any failure it is deleted.
 */
export async function createBackup(ctx: DaemonContext, o: CreateOptions, onProgress: (p: BackupProgress) => void = () => undefined): Promise<CreateResult> {
  const started = Date.now();
  if (!isAbsolute(o.file)) throw new BulkheadError('ERR_INVALID_VALUE', `backup file: '${o.file}' is not an absolute path`);
  const sys = ctx.store.system();
  const qubes = selectForBackup(sys, o.qubes, !!o.templates);
  for (const q of qubes) {
    if (isRunning(ctx, q.name))
      throw new BulkheadError('ERR_QUBE_RUNNING', `'${q.name}' is running; shut it down before backing it up (a running qube's volumes are not read)`);
  }
  const dir = dirname(o.file);
  if (!(await isDir(dir))) throw new BulkheadError('ERR_INVALID_VALUE', `backup file: directory ${dir} does not exist`);
  if (
    await fsp.lstat(o.file).then(
      () => true,
      () => false,
    )
  )
    throw new BulkheadError('ERR_INVALID_VALUE', `backup file: ${o.file} exists; a backup never overwrites a file`);

  const planned: Planned[] = [];
  const mq: ManifestQube[] = [];
  for (const q of qubes) {
    planned.push(...(await entriesOf(ctx, q)));
    mq.push({
      name: q.name,
      klass: q.klass as ManifestQube['klass'],
      label: q.label,
      props: q.props,
      tags: q.tags,
      features: q.features,
      firewall: ctx.store.firewallRules(q.name) ?? null,
      uidBase: uidBaseOf(ctx, q.qid),
      policyRefs: await policyReferences(policyDir(ctx.paths.home), q.name),
    });
  }
  const manifest: Manifest = {
    version: MANIFEST_VERSION,
    createdAt: new Date().toISOString(),
    bulkhead: '0.1.0',
    qubes: mq,
    entries: planned.map((p) => p.entry),
  };
  const total = planned.reduce((s, p) => s + p.readBytes, 0);
  let done = 0;
  let lastReport = 0;
  const progress = (phase: string, force = false) => {
    const now = Date.now();
    if (force || now - lastReport > 200) {
      lastReport = now;
      onProgress({ phase, done, total });
    }
  };

  const tmp = join(dir, `.${basename(o.file)}.incoming-${randomSuffix()}`);
  const fh = await fsp.open(tmp, 'wx', 0o600);
  let bytes = 0;
  try {
    progress('deriving the key', true);
    const w = await BackupWriter.start(fh, o.passphrase, o);
    await w.manifest(manifest);
    for (const q of qubes) {
      await ctx.locks.run(q.name, async () => {
        if (isRunning(ctx, q.name)) throw new BulkheadError('ERR_QUBE_RUNNING', `'${q.name}' was started during the backup; nothing was written`);
        for (const [i, p] of planned.entries()) {
          if (p.entry.qube !== q.name) continue;
          if (p.entry.format === 'image') await waitImageReleased(p.path);
          const count = (n: number) => {
            done += n;
            progress(p.entry.name);
          };
          await w.entry(i, p.entry.name, volumeSource(dirname(p.path), basename(p.path), count));
        }
      });
    }
    await w.finish();
    bytes = w.bytes;
    await fh.close();
    // link(2) fails if the name appeared meanwhile: a backup never replaces a file.
    await fsp.link(tmp, o.file).catch((e: NodeJS.ErrnoException) => {
      throw new BulkheadError('ERR_INVALID_VALUE', `backup file: cannot create ${o.file}: ${e.code === 'EEXIST' ? 'it exists' : e.message}`);
    });
  } catch (e) {
    await fh.close().catch(() => undefined);
    await fsp.unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fsp.unlink(tmp);
  const dh = await fsp.open(dir, 'r');
  await dh.sync().finally(() => dh.close());
  progress('done', true);
  const result: CreateResult = {
    file: o.file,
    qubes: qubes.map((q) => q.name),
    entries: planned.length,
    bytes,
    volumeBytes: planned.reduce((s, p) => s + p.entry.bytes, 0),
    sourceBytes: total,
    seconds: (Date.now() - started) / 1000,
  };
  ctx.store.audit('admin', 'backup-created', null, { file: o.file, qubes: result.qubes, bytes });
  return result;
}
