// Turns a qube's record into the runtime's start spec: volumes, uid range, limits, hooks' additions.
import { statSync } from 'node:fs';
import { BulkheadError } from '../../errors/index.js';
import { effective, usesTemplate, type QubeRecord, type SystemView } from '../../model/index.js';
import type { QubeRuntimeSpec } from '../../runtime/types.js';
import { volumePaths } from '../../storage/layout.js';
import { ENCRYPTED_SUBDIR, readKeyFileSync } from '../../crypt/index.js';
import { UID_RANGE, uidBaseOf, type DaemonContext } from '../context.js';
import { qubeRunDir } from '../paths.js';

export function runtimeId(ctx: DaemonContext, name: string): string {
  return `${ctx.prefix}-${name}`;
}

/** The template whose root is this qube's lower layer (its own for template/standalone). */
export function rootSource(q: QubeRecord, sys: SystemView): QubeRecord {
  if (!usesTemplate(q.klass)) return q;
  let cur = q;
  // A disposable's template is a disposable template (an app qube); follow to the real template.
  for (let hops = 0; hops < 4 && usesTemplate(cur.klass); hops++) {
    const t = effective(cur, 'template', sys);
    const tq = typeof t === 'string' ? sys.qubes.get(t) : undefined;
    if (!tq) throw new BulkheadError('ERR_INVALID_VALUE', `template: '${String(t)}' of '${cur.name}' does not exist`);
    cur = tq;
  }
  if (usesTemplate(cur.klass)) throw new BulkheadError('ERR_INVALID_VALUE', `template: no template found for '${q.name}'`);
  return cur;
}

export function buildSpec(ctx: DaemonContext, q: QubeRecord, sys: SystemView): QubeRuntimeSpec {
  const vp = volumePaths(ctx.paths.qubesDir, q.name);
  const src = rootSource(q, sys);
  const num = (k: string) => effective(q, k, sys) as number;
  // A persistent private volume made with a size is an ext4 image, loop-mounted while the qube runs;
  // so is a disposable's made with amnesic=false. An amnesic disposable's is a directory: a tmpfs goes on it.
  const image = statSync(vp.private, { throwIfNoEntry: false })?.isFile() === true;
  // So is a template's or standalone's persistent root layer (upper and work inside it).
  const rootImage = !usesTemplate(q.klass) && statSync(vp.root, { throwIfNoEntry: false })?.isFile() === true;
  // An encrypted qube (a key file beside its volumes): the key itself is added by the start.
  const keyFile = image ? readKeyFileSync(vp.dir) : null;
  return {
    name: q.name,
    id: runtimeId(ctx, q.name),
    hostname: q.name,
    lowerDir: volumePaths(ctx.paths.qubesDir, src.name).rootfs,
    rootRwDir: rootImage ? vp.rootMnt : vp.root,
    rootImage: rootImage ? vp.root : undefined,
    volatileRoot: usesTemplate(q.klass),
    privateDir: image ? vp.privateMnt : vp.private,
    privateImage: image ? vp.private : undefined,
    crypt: keyFile ? { keyId: keyFile.keyId, dataSubdir: ENCRYPTED_SUBDIR, private: true, root: rootImage && q.klass === 'standalone' } : undefined,
    // Data discarded at stop lives in RAM bounded by its size (and charged to the qube's memory cgroup).
    volatileBytes: usesTemplate(q.klass) ? num('volatile_size') : undefined,
    privateTmpfsBytes: q.klass === 'disposable' && !image ? num('private_size') : undefined,
    uidBase: uidBaseOf(ctx, q.qid),
    uidCount: UID_RANGE,
    memoryMiB: num('memory'),
    maxmemMiB: num('maxmem'),
    vcpus: num('vcpus'),
    pidsMax: num('pids_max'),
    netnsPath: null,
    mounts: [],
    env: { BULKHEAD_QUBE: q.name },
    runDir: qubeRunDir(ctx.paths, q.name),
  };
}
