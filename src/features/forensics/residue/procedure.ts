// The residue proof: a control file and a disposable write random canaries, both are removed, then every place the admin keeps data is scanned for them.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BulkheadError } from '../../../errors/index.js';
import { run } from '../../../exec/index.js';
import { effective } from '../../../model/index.js';
import { encodeStream } from '../../../filecopy/index.js';
import type { DaemonContext } from '../../../daemon/context.js';
import { createDisposable, destroyDisposable } from '../../../daemon/lifecycle/dispvm.js';
import { runtimeId } from '../../../daemon/lifecycle/spec.js';
import { adminCall, type AdminCallResult } from '../../rpc/broker/admin-call.js';
import type { Broker } from '../../rpc/broker/index.js';
import { volumePaths } from '../../../storage/index.js';
import { hostSwapVerdict } from '../amnesic/swap-facts.js';
import { canaryScript, CANARY_PATHS } from './canary-script.js';
import { ownDevice, scanDevice } from './device.js';
import { scanTree, type TreeScan } from './walk.js';
import { PLACES, type PlaceScan, type ReportedHit, type ResidueReport, type ResidueRequest } from './types.js';

const NEEDLE_NAMES = ['disposable', 'control'] as const;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A canary: a fixed marker and 32 random hex digits, as one line. */
function newCanary(kind: string): Buffer {
  return Buffer.from(`BH-RESIDUE-${kind}-${randomBytes(16).toString('hex')}`);
}

/** Runs `script` as root in the qube with `input` on stdin (so the canary is on no command line). */
function execIn(ctx: DaemonContext, qube: string, script: string, input: Buffer): Promise<{ code: number; out: string }> {
  const child = ctx.runtime.exec(runtimeId(ctx, qube), ['sh', '-c', script], { user: 'root' });
  let out = '';
  const take = (d: Buffer) => {
    if (out.length < 4096) out += d.toString('utf8');
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  child.stdin.on('error', () => undefined);
  child.stdin.end(Buffer.concat([input, Buffer.from('\n')]));
  return new Promise((resolve) => {
    child.on('close', (code) => resolve({ code: code ?? 1, out: out.trim() }));
    child.on('error', (e) => resolve({ code: 126, out: e.message }));
  });
}

/** Writes the control file in the state directory, flushes it to the device and deletes it: the scan must see deleted data. */
function writeControl(home: string, canary: Buffer, bytes: number): void {
  const file = join(home, `.residue-control-${randomBytes(6).toString('hex')}`);
  const line = Buffer.concat([canary, Buffer.from('\n')]);
  const fd = openSync(file, 'wx', 0o600);
  try {
    for (let n = 0; n < bytes; n += line.length) writeSync(fd, line);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  unlinkSync(file);
}

/** Subtrees of the state directory a qube can change while it runs (never walked by name), and template roots. */
function excludedTrees(poolDir: string): Set<string> {
  const out = new Set<string>();
  let names: string[] = [];
  try {
    names = readdirSync(poolDir);
  } catch {
    return out;
  }
  for (const n of names) {
    if (n.startsWith('.')) continue;
    const p = volumePaths(poolDir, n);
    for (const t of [p.private, p.root, p.volatile, join(p.dir, 'mnt')]) {
      if (statSync(t, { throwIfNoEntry: false })?.isDirectory()) out.add(t);
    }
    // Template roots: no disposable writes there (thousands of small files; the raw scan covers their blocks).
    for (const t of [p.rootfs, join(p.dir, 'root-revisions')]) if (statSync(t, { throwIfNoEntry: false })?.isDirectory()) out.add(t);
  }
  return out;
}

function fromTree(place: PlaceScan['place'], t: TreeScan, seconds: number, note: string): PlaceScan {
  return {
    place,
    root: t.root,
    scanned: true,
    note,
    files: t.files,
    bytes: t.bytes,
    seconds,
    counts: { disposable: t.counts[0] ?? 0, control: t.counts[1] ?? 0 },
    hits: t.hits.map((h): ReportedHit => ({ canary: NEEDLE_NAMES[h.needle] ?? 'disposable', path: h.path, offset: h.offset })),
    skipped: t.skipped.slice(0, 50),
  };
}

export async function runResidue(ctx: DaemonContext, broker: Broker, req: ResidueRequest): Promise<ResidueReport> {
  const t0 = performance.now();
  const places = new Set(req.places ?? PLACES);
  const bytes = req.bytes ?? 256 * 1024;
  const canary = newCanary('D');
  const control = newCanary('C');
  const needles = [canary, control];
  const writes: ResidueReport['writes'] = [];

  // 1. The disposable: the canary everywhere it can write, its clipboard, a file copy to itself; then its end.
  const name = await createDisposable(ctx, { template: req.template });
  const q = ctx.store.requireQube(name);
  const template = String(q.props.template);
  const amnesic = effective(q, 'amnesic', ctx.store.system()) !== false;
  try {
    const r = await execIn(ctx, name, canaryScript(bytes), canary);
    for (const p of CANARY_PATHS) writes.push({ place: p, ok: r.code === 0, ...(r.code ? { detail: r.out } : {}) });
    if (r.code !== 0) throw new BulkheadError('ERR_FORENSICS', `the canary could not be written in '${name}' (exit ${r.code}): ${r.out}`);
    // A service that exits before our end of its input is written (bulkhead.ClipboardRead does)
    // can lose the race with it and end "without an exit code": the clipboard file stays, so ask again.
    let clip: { bytes: number } | null = null;
    for (let attempt = 1; clip === null; attempt++) {
      try {
        clip = await broker.clipboard.copy(name);
      } catch (e) {
        if (attempt >= 3 || !/without an exit code/.test((e as Error).message)) throw e;
      }
    }
    const got = await adminCall(broker.agents, name, 'qubes.ClipboardPaste', Buffer.alloc(clip.bytes, canary.toString() + '\n'), {
      timeoutMs: 10_000,
      maxOutput: 4096,
      source: name,
    });
    writes.push({ place: 'clipboard (copied out, pasted back)', ok: got.code === 0 });
    const stream = Buffer.from(encodeStream([{ kind: 'file', name: 'canary-copy.txt', data: Buffer.alloc(bytes, canary.toString() + '\n') }]));
    // The same race as the clipboard's: the receiver may end before our end-of-input frame is written.
    let fc: AdminCallResult | null = null;
    for (let attempt = 1; fc === null; attempt++) {
      try {
        fc = await adminCall(broker.agents, name, 'qubes.Filecopy', stream, { timeoutMs: 30_000, maxOutput: 65536, source: name });
      } catch (e) {
        if (attempt >= 3 || !/without an exit code/.test((e as Error).message)) throw e;
      }
    }
    writes.push({
      place: `file copy to itself (~/QubesIncoming/${name}/canary-copy.txt)`,
      ok: fc.code === 0,
      ...(fc.code ? { detail: fc.stderr.trim() } : {}),
    });
    const s = await execIn(ctx, name, 'sync', Buffer.alloc(0));
    if (s.code !== 0) throw new BulkheadError('ERR_FORENSICS', `sync in '${name}' failed: ${s.out}`);
    // What the kernel's writeback does within ~30 s, done now so a clean result is not luck of timing:
    // a volume on disk (amnesic=false) is flushed through its loop device to the state directory's device.
    const vp = volumePaths(ctx.paths.qubesDir, name);
    if (statSync(vp.private, { throwIfNoEntry: false })?.isFile()) await run('sync', ['-f', vp.privateMnt], { timeoutMs: 120_000 });
    await run('sync', ['-f', ctx.paths.home], { timeoutMs: 120_000 });
  } finally {
    broker.clipboard.forget(name);
    await destroyDisposable(ctx, name);
  }

  // 2. The control: a deleted file of the state directory, which a raw scan must find.
  writeControl(ctx.paths.home, control, bytes);
  await run('sync', ['-f', ctx.paths.home], { timeoutMs: 120_000 });

  // 3. The scans.
  const scans: PlaceScan[] = [];
  const tree = async (place: PlaceScan['place'], root: string, note: string, exclude?: Set<string>) => {
    const s0 = performance.now();
    const t = await scanTree(root, needles, { exclude });
    scans.push(fromTree(place, t, (performance.now() - s0) / 1000, note));
  };
  if (places.has('state'))
    await tree(
      'state',
      ctx.paths.home,
      'files: database, its WAL, logs, pool images (trees a qube can change and template roots are left out)',
      excludedTrees(ctx.paths.qubesDir),
    );
  if (places.has('tmp')) {
    await tree('tmp', '/tmp', 'files');
    await tree('var-tmp', '/var/tmp', 'files');
  }
  if (places.has('journal')) {
    for (const j of ['/var/log/journal', '/run/log/journal']) await tree('journal', j, 'files of the systemd journal');
    await tree('crun', '/run/crun', "crun's state of running containers");
  }
  if (places.has('device')) {
    const own = req.device ? { device: req.device, why: `named by the admin` } : ownDevice(ctx.paths.home);
    const s0 = performance.now();
    if (own.device) {
      const d = await scanDevice(own.device, needles);
      scans.push({
        place: 'device',
        root: own.device,
        scanned: true,
        note: `raw, deleted data included (${own.why})`,
        files: 0,
        bytes: d.bytes,
        seconds: (performance.now() - s0) / 1000,
        counts: { disposable: d.counts[0] ?? 0, control: d.counts[1] ?? 0 },
        hits: d.hits.map((h) => ({ canary: NEEDLE_NAMES[h.needle] ?? 'disposable', device: own.device as string, offset: h.offset })),
        skipped: [],
      });
    } else {
      scans.push({
        place: 'device',
        root: '-',
        scanned: false,
        note: own.why,
        files: 0,
        bytes: 0,
        seconds: 0,
        counts: { disposable: 0, control: 0 },
        hits: [],
        skipped: [],
      });
    }
  }
  let swap: string;
  try {
    const v = hostSwapVerdict();
    swap = v.state === 'none' ? 'no swap is active' : v.warning;
  } catch (e) {
    swap = (e as Error).message;
  }
  const raw = scans.find((s) => s.place === 'device' && s.scanned);
  const report: ResidueReport = {
    disposable: { name, template, amnesic },
    canarySha256: sha(canary),
    controlSha256: sha(control),
    writes,
    swap,
    scans,
    found: scans.some((s) => s.counts.disposable > 0),
    controlFound: raw ? raw.counts.control > 0 : null,
    seconds: (performance.now() - t0) / 1000,
  };
  // The log keeps the outcome and the canaries' hashes, never the canaries.
  ctx.store.audit('admin', 'forensics-residue', null, {
    disposable: name,
    template,
    amnesic,
    found: report.found,
    controlFound: report.controlFound,
    canarySha256: report.canarySha256,
    hits: Object.fromEntries(scans.map((s) => [`${s.place}:${s.root}`, s.counts.disposable])),
  });
  return report;
}
