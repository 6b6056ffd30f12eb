// Restore qubes from a Qubes OS v4 backup: authenticate and unpack everything into a root-only staging area first, then create the qubes.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import {
  adoptHome,
  extractHome,
  fileSink,
  memorySink,
  openQubesBackup,
  parseFirewallXml,
  parseQubesXml,
  planRestore,
  QubesBackupError,
  readBackedUpFile,
  MAX_XML_BYTES,
  type HostView,
  type PlannedQube,
} from './index.js';
import { effective, MAX_VOLUME_BYTES, withQube, type QubeRecord, type SystemView } from '../../../model/index.js';
import { copyTree } from '../../../storage/fsops.js';
import { USER_ID, volumePaths } from '../../../storage/index.js';
import { withImageMounted } from '../../../storage/image.js';
import type { DaemonContext } from '../../../daemon/context.js';
import { uidBaseOf } from '../../../daemon/context.js';
import { createQube, planCreate, removeQube, type CreateRequest } from '../../../daemon/lifecycle/manage.js';
import type { QubesRestoreRequest, QubesRestoreReport } from '../../../contract/backup.js';
export type { QubesRestoreRequest, QubesRestoreReport };

/** Staging directories of a restore, below the admin directory (root only); removed when it ends. */
export const QUBES_RESTORE_STAGING_PREFIX = 'qubes-restore-';

interface Staged {
  plan: PlannedQube;
  home: string | null;
  homeBytes: number | null;
  firewall: string[] | null;
}

const ACTOR = 'admin';
const GIB = 1024 ** 3;

function hostView(sys: SystemView): HostView {
  const qubes: HostView['qubes'] = new Map();
  for (const q of sys.qubes.values()) {
    qubes.set(q.name, {
      klass: q.klass,
      providesNetwork: effective(q, 'provides_network', sys) === true,
      dispTemplate: q.klass === 'app' && effective(q, 'template_for_dispvms', sys) === true,
    });
  }
  const t = sys.globals.default_template;
  return { qubes, defaultTemplate: typeof t === 'string' ? t : null };
}

/** The create request of a planned qube (netvm included: its netvm is made before it). */
function requestOf(s: Staged): CreateRequest {
  const q = s.plan;
  const props = { ...q.props };
  if (q.netvm.kind === 'none') props.netvm = 'none';
  if (q.netvm.kind === 'qube') props.netvm = q.netvm.name;
  // Qubes' size when larger than bulkhead's default, and room for the home in any case (images are sparse).
  const need = Math.max(q.privateSize ?? 0, s.homeBytes === null ? 0 : Math.ceil((s.homeBytes * 1.25 + 256 * 1024 ** 2) / GIB) * GIB);
  if (q.klass !== 'disposable' && need > 2 * GIB) props.private_size = String(Math.min(need, MAX_VOLUME_BYTES));
  return { name: q.name, klass: q.klass, label: q.label, template: q.template, props, tags: q.tags };
}

/** Qubes in an order where each one's netvm and disposable template come before it. */
function creationOrder(staged: Staged[]): Staged[] {
  const names = new Set(staged.map((s) => s.plan.name));
  const deps = (s: Staged) =>
    [
      s.plan.netvm.kind === 'qube' ? s.plan.netvm.name : null,
      s.plan.klass === 'disposable' ? s.plan.template : null,
      s.plan.props.default_dispvm ?? null,
    ].filter((d): d is string => d !== null && names.has(d) && d !== s.plan.name);
  const out: Staged[] = [];
  const done = new Set<string>();
  while (out.length < staged.length) {
    const next = staged.find((s) => !done.has(s.plan.name) && deps(s).every((d) => done.has(d)));
    if (!next)
      throw new QubesBackupError(
        'qubes.xml',
        `the netvm or disposable template references of ${staged
          .filter((s) => !done.has(s.plan.name))
          .map((s) => s.plan.name)
          .join(', ')} form a cycle`,
      );
    out.push(next);
    done.add(next.plan.name);
  }
  return out;
}

/** Every create request checked against the system as it will be, one after another: a refusal here creates nothing. */
function dryRun(sys: SystemView, order: Staged[]): void {
  let sim = sys;
  for (const s of order) {
    const req = requestOf(s);
    let planned;
    try {
      planned = planCreate(sim, req, true);
    } catch (e) {
      throw new QubesBackupError(`qube '${s.plan.name}'`, (e as Error).message, { cause: e });
    }
    const rec: QubeRecord = {
      name: req.name,
      uuid: '',
      qid: 0,
      klass: planned.klass,
      label: s.plan.label,
      props: planned.props,
      tags: s.plan.tags,
      features: {},
      createdAt: '',
    };
    sim = withQube(sim, rec);
  }
}

export async function restoreQubesBackup(ctx: DaemonContext, req: QubesRestoreRequest): Promise<QubesRestoreReport> {
  const t0 = Date.now();
  const b = await openQubesBackup(req.file, req.passphrase);
  const staging = await fsp.mkdtemp(join(ctx.paths.adminDir, QUBES_RESTORE_STAGING_PREFIX));
  try {
    const xmlSink = memorySink(MAX_XML_BYTES);
    await readBackedUpFile(b, 'qubes.xml', xmlSink, { maxRealSize: MAX_XML_BYTES });
    const xml = parseQubesXml(xmlSink.result());
    const plan = planRestore(xml.domains, hostView(ctx.store.system()), req.qubes ?? []);
    let verifiedBytes = b.storedBytes('qubes.xml');
    // Everything is read, authenticated and unpacked before the first qube is made.
    const staged: Staged[] = [];
    for (const q of plan.qubes) {
      const dir = join(staging, q.name);
      await fsp.mkdir(dir, { mode: 0o700 });
      const imgName = `${q.backupPath}/private.img`;
      let home: string | null = null;
      if (b.layout.files.has(imgName)) {
        const img = join(dir, 'private.img');
        const sink = fileSink(img);
        try {
          await readBackedUpFile(b, imgName, sink, { maxRealSize: MAX_VOLUME_BYTES });
        } finally {
          sink.close();
        }
        verifiedBytes += b.storedBytes(imgName);
        if (q.klass !== 'disposable') home = await extractHome(img, join(dir, 'home'), imgName);
        await fsp.rm(img);
      } else if (q.klass !== 'disposable') {
        throw new QubesBackupError(imgName, `is not in the backup, though qubes.xml says ${q.name}'s data is`);
      }
      if (home === null && q.klass !== 'disposable') q.notes.push('its private.img has no /home/user: the home starts empty');
      if (q.klass === 'disposable') q.notes.push("a named disposable's data is not kept: its private.img is checked, not restored");
      const fwName = `${q.backupPath}/firewall.xml`;
      let firewall: string[] | null = null;
      if (b.layout.files.has(fwName)) {
        const fw = memorySink(MAX_XML_BYTES);
        await readBackedUpFile(b, fwName, fw, { maxRealSize: MAX_XML_BYTES });
        firewall = parseFirewallXml(fw.result(), fwName);
        verifiedBytes += b.storedBytes(fwName);
      }
      staged.push({ plan: q, home, homeBytes: home === null ? null : await treeBytes(home), firewall });
    }
    const order = creationOrder(staged);
    dryRun(ctx.store.system(), order);
    const report = (s: Staged) => ({
      name: s.plan.name,
      klass: s.plan.klass,
      template: s.plan.template,
      netvm: s.plan.netvm.kind === 'qube' ? s.plan.netvm.name : s.plan.netvm.kind,
      tags: s.plan.tags,
      firewallRules: s.firewall?.length ?? 0,
      homeBytes: s.homeBytes,
      notes: s.plan.notes,
    });
    if (!req.verifyOnly) await createAll(ctx, order);
    return { backupId: b.header.backupId, restored: order.map(report), skipped: plan.skipped, verifiedBytes, seconds: (Date.now() - t0) / 1000 };
  } finally {
    b.close();
    await fsp.rm(staging, { recursive: true, force: true });
  }
}

/** Create the qubes in order; if one fails, the ones made so far go again (the restore is all or nothing). */
async function createAll(ctx: DaemonContext, order: Staged[]): Promise<void> {
  const made: string[] = [];
  try {
    for (const s of order) {
      const q = await createQube(ctx, requestOf(s), { actor: ACTOR });
      made.push(q.name);
      if (s.home) await fillHome(ctx, q, s.home);
      if (s.firewall) ctx.store.setFirewallRules(ACTOR, q.name, s.firewall);
      ctx.store.audit(ACTOR, 'qube-restored', q.name, { from: 'qubes-backup' });
    }
  } catch (e) {
    for (const n of made.reverse())
      await removeQube(ctx, n, { force: true }).catch((err) => ctx.log.error({ err, qube: n }, 'removing a half-restored qube failed'));
    throw e;
  }
}

/** Put the restored home into the new (never started) qube's private volume, owned by its user. */
async function fillHome(ctx: DaemonContext, q: QubeRecord, home: string): Promise<void> {
  const base = uidBaseOf(ctx, q.qid);
  await adoptHome(home, { uid: base + USER_ID, gid: base + USER_ID });
  const p = volumePaths(ctx.paths.qubesDir, q.name);
  await withImageMounted(p.private, p.adminMnt, true, async () => {
    const target = join(p.adminMnt, 'home', 'user');
    await fsp.rm(target, { recursive: true, force: true });
    await copyTree(home, target);
  });
}

async function treeBytes(top: string): Promise<number> {
  let n = 0;
  const visit = async (p: string): Promise<void> => {
    const st = await fsp.lstat(p);
    if (st.isFile()) n += st.size;
    if (st.isDirectory()) for (const e of await fsp.readdir(p)) await visit(join(p, e));
  };
  await visit(top);
  return n;
}
