// What a backup takes and what a restore makes: the qubes chosen, their order, renames on name conflicts, references rewritten (pure).
import { BulkheadError } from '../../errors/index.js';
import { MAX_NAME_LENGTH, PROPERTIES, effective, usesTemplate, type PropValue, type QubeRecord, type SystemView } from '../../model/index.js';
import type { Manifest, ManifestQube } from './manifest.js';

/** Properties whose value names another qube (template, netvm, default_dispvm): rewritten on rename. */
export const QUBE_REF_PROPS: readonly string[] = [...PROPERTIES.values()].filter((d) => d.type === 'qube').map((d) => d.name);

/**
 * The qubes a backup of `names` holds, templates first: with `templates`, the templates the
 * app qubes boot from are added (Qubes backs up templates only when they are listed).
 */
export function selectForBackup(sys: SystemView, names: readonly string[], templates: boolean): QubeRecord[] {
  if (names.length === 0) throw new BulkheadError('ERR_INVALID_VALUE', 'backup create: name at least one qube');
  const out = new Map<string, QubeRecord>();
  const add = (n: string) => {
    const q = sys.qubes.get(n);
    if (!q) throw new BulkheadError('ERR_NO_SUCH_QUBE', `no qube named '${n}'`);
    if (q.klass === 'admin') throw new BulkheadError('ERR_INVALID_VALUE', `'${n}' is the admin qube; a backup holds qubes`);
    if (q.klass === 'disposable')
      throw new BulkheadError('ERR_INVALID_VALUE', `'${n}' is a disposable: its data goes at every stop, there is nothing to back up`);
    out.set(n, q);
  };
  for (const n of names) add(n);
  if (templates) {
    for (const q of [...out.values()]) {
      if (!usesTemplate(q.klass)) continue;
      const t = effective(q, 'template', sys);
      if (typeof t === 'string' && !out.has(t)) add(t);
    }
  }
  const rank = (q: QubeRecord) => (q.klass === 'template' ? 0 : 1);
  return [...out.values()].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

export type ConflictMode = 'skip' | 'rename';

export interface RestoreItem {
  /** The qube as the backup has it. */
  from: ManifestQube;
  /** Its name here (a rename when the name was taken). */
  as: string;
  /** Its properties with references to renamed or missing qubes rewritten. */
  props: Record<string, PropValue>;
}

export interface RestorePlan {
  /** In creation order: every qube after the qubes it refers to. */
  items: RestoreItem[];
  skipped: { name: string; reason: string }[];
  warnings: string[];
}

/** Qubes' rename on conflict: NAME1, NAME2, … (the base shortened so the name stays ≤ 31 characters). */
export function conflictName(name: string, taken: (n: string) => boolean): string {
  for (let n = 1; n < 1000; n++) {
    const suffix = String(n);
    const cand = name.slice(0, MAX_NAME_LENGTH - suffix.length) + suffix;
    if (!taken(cand)) return cand;
  }
  throw new BulkheadError('ERR_QUBE_EXISTS', `no free name for '${name}'`);
}

/**
 * Plan a restore of `manifest` onto `sys`: choose the qubes (all, or `select`), skip or rename
 * those whose name is taken, and rewrite references. A reference to a qube that neither exists
 * here nor comes with the restore: a template is an error (the qube could not boot), a netvm or
 * default_dispvm is reset to the default with a warning (Qubes does the same).
 */
export function planRestore(manifest: Manifest, sys: SystemView, opts: { select?: readonly string[]; conflicts: ConflictMode }): RestorePlan {
  const byName = new Map(manifest.qubes.map((q) => [q.name, q]));
  const chosen: ManifestQube[] = [];
  if (opts.select && opts.select.length) {
    for (const n of opts.select) {
      const q = byName.get(n);
      if (!q)
        throw new BulkheadError(
          'ERR_NO_SUCH_QUBE',
          `the backup holds no qube named '${n}' (it holds ${manifest.qubes.map((x) => x.name).join(', ') || 'none'})`,
        );
      if (!chosen.includes(q)) chosen.push(q);
    }
  } else {
    chosen.push(...manifest.qubes);
  }
  const skipped: RestorePlan['skipped'] = [];
  const warnings: string[] = [];
  const renamed = new Map<string, string>();
  const taken = new Set<string>(sys.qubes.keys());
  const restoring: ManifestQube[] = [];
  for (const q of chosen) {
    if (sys.qubes.has(q.name)) {
      if (opts.conflicts === 'skip') {
        skipped.push({ name: q.name, reason: `a qube named '${q.name}' exists (use --rename-conflicts to restore it under a new name)` });
        continue;
      }
      const as = conflictName(q.name, (n) => taken.has(n) || byName.has(n));
      renamed.set(q.name, as);
      taken.add(as);
      warnings.push(`'${q.name}' exists: restored as '${as}'`);
    }
    restoring.push(q);
  }
  const restoredNames = new Set(restoring.map((q) => q.name));
  const items = new Map<string, RestoreItem>();
  for (const q of restoring) {
    const props: Record<string, PropValue> = { ...q.props };
    for (const key of QUBE_REF_PROPS) {
      if (!Object.prototype.hasOwnProperty.call(props, key)) continue;
      const v = props[key];
      if (typeof v !== 'string') continue;
      if (restoredNames.has(v)) props[key] = renamed.get(v) ?? v;
      else if (sys.qubes.has(v))
        continue; // the qube here of that name (also when the backup's was skipped as a conflict)
      else if (key === 'template') {
        throw new BulkheadError(
          'ERR_NO_SUCH_QUBE',
          `'${q.name}' boots from template '${v}', which is neither on this system nor restored now${byName.has(v) ? ` (the backup holds it: restore it too)` : ''}`,
        );
      } else {
        delete props[key];
        warnings.push(`'${q.name}': ${key} '${v}' is neither on this system nor restored now; reset to its default`);
      }
    }
    items.set(q.name, { from: q, as: renamed.get(q.name) ?? q.name, props });
  }
  return { items: orderByReferences([...items.values()]), skipped, warnings };
}

/** Every item after the items it refers to (by their new names); templates before app qubes. */
function orderByReferences(items: RestoreItem[]): RestoreItem[] {
  const out: RestoreItem[] = [];
  const placed = new Set<string>();
  const names = new Set(items.map((i) => i.as));
  const pending = [...items].sort((a, b) => (a.from.klass === 'template' ? 0 : 1) - (b.from.klass === 'template' ? 0 : 1) || a.as.localeCompare(b.as));
  while (pending.length) {
    const i = pending.findIndex((it) =>
      QUBE_REF_PROPS.every((k) => {
        const v = it.props[k];
        return typeof v !== 'string' || v === it.as || !names.has(v) || placed.has(v);
      }),
    );
    // A reference cycle (netvm loops are refused by the model anyway): keep the remaining order.
    const [it] = pending.splice(i < 0 ? 0 : i, 1);
    out.push(it!);
    placed.add(it!.as);
  }
  return out;
}
