// backup restore and verify on the admin side: the whole file is authenticated while it is unpacked into staging; qubes appear only after its trailer checked.
import { promises as fsp } from 'node:fs';
import { isAbsolute } from 'node:path';
import { uidBaseOf, type DaemonContext } from '../../daemon/context.js';
import { planCreate } from '../../daemon/lifecycle/manage.js';
import { BulkheadError } from '../../errors/index.js';
import { effective, withQube, type PropValue, type QubeRecord, type SystemView } from '../../model/index.js';
import { removeQubeVolumes } from '../../storage/index.js';
import type { BackupProgress } from './create.js';
import type { Manifest, ManifestEntry, ManifestQube } from './manifest.js';
import { planRestore, type ConflictMode, type RestoreItem } from './plan.js';
import { BackupReader, type EntrySink } from './reader.js';
import { adoptStaged, makeStaging, stagedPath } from './stage.js';
import { volumeSink } from './streams.js';
import type { RestoreResult, VerifyResult } from '../../contract/backup.js';
export type { RestoreResult, VerifyResult };

export interface RestoreOptions {
  file: string;
  passphrase: string;
  qubes?: string[];
  conflicts?: ConflictMode;
}

const ACTOR = 'admin';

function propText(v: PropValue): string {
  return v === null ? 'none' : String(v);
}

/** The create request of an item (string values, as the API takes them), its image sizes made explicit when they differ from the defaults here. */
function requestOf(item: RestoreItem, m: Manifest, sys: SystemView) {
  const q = item.from;
  const props: Record<string, string> = {};
  for (const [k, v] of Object.entries(item.props)) if (k !== 'template' || q.klass === 'app') props[k] = propText(v);
  const probe: QubeRecord = {
    name: item.as,
    uuid: '',
    qid: 0,
    klass: q.klass,
    label: q.label as QubeRecord['label'],
    props: { ...item.props },
    tags: q.tags,
    features: q.features,
    createdAt: '',
  };
  for (const [vol, key] of [
    ['private', 'private_size'],
    ['root', 'root_size'],
  ] as const) {
    const e = m.entries.find((x) => x.qube === q.name && x.volume === vol && x.format === 'image');
    if (e && !(key in props) && effective(probe, key, withQube(sys, probe)) !== e.bytes) props[key] = String(e.bytes);
  }
  const template = q.klass === 'app' ? props.template : undefined;
  delete props.template;
  return { name: item.as, klass: q.klass, label: q.label, template, props, tags: q.tags, features: q.features };
}

/** Check every planned qube against the model in creation order (nothing is made). */
function dryRun(items: RestoreItem[], m: Manifest, sys: SystemView): void {
  let view = sys;
  for (const it of items) {
    const req = requestOf(it, m, view);
    const { klass, props } = planCreate(view, req);
    const rec: QubeRecord = {
      name: it.as,
      uuid: '',
      qid: 0,
      klass,
      label: it.from.label as QubeRecord['label'],
      props: { ...props, ...(req.template ? { template: req.template } : {}) },
      tags: it.from.tags,
      features: it.from.features,
      createdAt: '',
    };
    view = withQube(view, rec);
  }
}

async function openChecked(o: { file: string; passphrase: string }): Promise<BackupReader> {
  if (!isAbsolute(o.file)) throw new BulkheadError('ERR_INVALID_VALUE', `backup file: '${o.file}' is not an absolute path`);
  return BackupReader.open(o.file, o.passphrase);
}

function throttled(onProgress: (p: BackupProgress) => void) {
  let last = 0;
  return (p: { done: number; total: number; entry: string }, force = false) => {
    const now = Date.now();
    if (force || now - last > 200) {
      last = now;
      onProgress({ phase: p.entry, done: p.done, total: p.total });
    }
  };
}

/** Authenticate every record of the file without writing anything. */
export async function verifyBackup(o: { file: string; passphrase: string }, onProgress: (p: BackupProgress) => void = () => undefined): Promise<VerifyResult> {
  const started = Date.now();
  const r = await openChecked(o);
  try {
    const m = await r.manifest();
    const report = throttled(onProgress);
    await r.entries(async () => null, report);
    report({ done: r.size, total: r.size, entry: 'done' }, true);
    return {
      backupId: r.header.backupId.toString('hex'),
      createdAt: new Date(r.header.createdAtMs).toISOString(),
      qubes: m.qubes.map((q) => ({ name: q.name, klass: q.klass })),
      entries: m.entries.length,
      bytes: r.size,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await r.close();
  }
}

/**
 * Restore qubes from a backup. Order of checks: the header's bounds, the passphrase (header
 * MAC), the manifest, the plan against this system (names, conflicts, templates, every
 * property through the model); then one pass over the file in which every record is
 * authenticated before its bytes reach a staging directory below the pool; only after the
 * trailer and the end of the file are checked are qubes created, by rename. Any failure removes
 * the staging directories and every qube this restore made: it restores all or nothing.
 */
export async function restoreBackup(ctx: DaemonContext, o: RestoreOptions, onProgress: (p: BackupProgress) => void = () => undefined): Promise<RestoreResult> {
  const started = Date.now();
  const r = await openChecked(o);
  const staging = new Map<string, string>();
  const made: string[] = [];
  try {
    const m = await r.manifest();
    const plan = planRestore(m, ctx.store.system(), { select: o.qubes, conflicts: o.conflicts ?? 'skip' });
    dryRun(plan.items, m, ctx.store.system());
    const byFrom = new Map(plan.items.map((it) => [it.from.name, it]));
    for (const it of plan.items) staging.set(it.as, await makeStaging(ctx.paths.qubesDir, it.as));

    const report = throttled(onProgress);
    await r.entries(async (e): Promise<EntrySink | null> => {
      const it = byFrom.get(e.qube);
      if (!it) return null;
      const dir = staging.get(it.as)!;
      const sink = volumeSink(dir, e.volume);
      return {
        ...sink,
        end: async () => {
          await sink.end();
          await checkStaged(stagedPath(dir, e.volume), e);
        },
      };
    }, report);
    report({ done: r.size, total: r.size, entry: 'creating qubes' }, true);

    // Everything is authenticated: now the qubes, each one transaction and one rename.
    for (const it of plan.items) {
      const req = requestOf(it, m, ctx.store.system());
      const { klass, props } = planCreate(ctx.store.system(), req);
      const fullProps = req.template ? { ...props, template: req.template } : props;
      const q = ctx.store.createQube(ACTOR, {
        name: it.as,
        klass,
        label: it.from.label as QubeRecord['label'],
        props: fullProps,
        tags: it.from.tags,
        features: it.from.features,
      });
      made.push(it.as);
      await adoptStaged(ctx.paths.qubesDir, staging.get(it.as)!, it.as, {
        persistentRoot: klass === 'template' || klass === 'standalone',
        fromUidBase: it.from.uidBase,
        toUidBase: uidBaseOf(ctx, q.qid),
      });
      staging.delete(it.as);
      if (it.from.firewall !== null) ctx.store.setFirewallRules(ACTOR, it.as, it.from.firewall);
    }
    for (const it of plan.items) {
      ctx.store.audit(ACTOR, 'qube-restored', it.as, { from: it.from.name, file: o.file });
      ctx.events.emit('qube-created', { qube: it.as, klass: it.from.klass });
    }
    return {
      restored: plan.items.map((it) => ({ name: it.from.name, as: it.as, klass: it.from.klass })),
      skipped: plan.skipped,
      warnings: plan.warnings,
      policyRefs: plan.items.flatMap((it) => refsOf(it.from)),
      bytes: r.size,
      seconds: (Date.now() - started) / 1000,
    };
  } catch (e) {
    for (const name of made.reverse()) {
      try {
        ctx.store.removeQube(ACTOR, name, { reason: 'restore failed' });
      } catch {
        /* not made */
      }
      await removeQubeVolumes(ctx.paths.qubesDir, name).catch(() => undefined);
    }
    throw e;
  } finally {
    for (const dir of staging.values()) await fsp.rm(dir, { recursive: true, force: true }).catch(() => undefined);
    await r.close();
  }
}

/** The unpacked member is what the manifest says: an image of its exact length, or a directory. */
async function checkStaged(path: string, e: ManifestEntry): Promise<void> {
  const st = await fsp.lstat(path).catch(() => null);
  if (e.format === 'image' ? !st?.isFile() || st.size !== e.bytes : !st?.isDirectory()) {
    throw new BulkheadError('ERR_BACKUP', `${e.name}: the unpacked volume is not ${e.format === 'image' ? `an image of ${e.bytes} bytes` : 'a directory'}`);
  }
}

function refsOf(q: ManifestQube) {
  return q.policyRefs.map((p) => ({ qube: q.name, ...p }));
}
