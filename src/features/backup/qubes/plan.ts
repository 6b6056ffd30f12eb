// From qubes.xml to what bulkhead will create: classes, labels, templates mapped by name, netvm chain, tags, kept properties (pure).
import { isLabel, validateName, validateTag, type Label } from '../../../model/index.js';
import { fail } from './errors.js';
import type { QubesDomain } from './qubes-xml.js';

/** What the host has that the plan refers to. */
export interface HostView {
  qubes: Map<string, { klass: string; providesNetwork: boolean; dispTemplate: boolean }>;
  defaultTemplate: string | null;
}

export type NetvmChoice = { kind: 'default' } | { kind: 'none' } | { kind: 'qube'; name: string };

export interface PlannedQube {
  name: string;
  klass: 'app' | 'standalone' | 'disposable';
  label: Label;
  /** The bulkhead template it boots from (app, disposable's disposable template) or whose root a standalone copies. */
  template: string;
  props: Record<string, string>;
  tags: string[];
  netvm: NetvmChoice;
  /** Archive directory of the qube's files (`vm3`). */
  backupPath: string;
  /** Qubes' private volume size, when given (the new volume is at least the default). */
  privateSize: number | null;
  notes: string[];
}

export interface RestorePlan {
  qubes: PlannedQube[];
  /** Qubes in the backup left out, and why. */
  skipped: { name: string; reason: string }[];
}

/** Properties carried over as they are (bulkhead validates each again when the qube is made). */
const KEPT = ['memory', 'maxmem', 'vcpus', 'qrexec_timeout', 'shutdown_timeout', 'include_in_backups'];
const CLASSES: Record<string, PlannedQube['klass']> = { AppVM: 'app', StandaloneVM: 'standalone', DispVM: 'disposable' };
const BACKUP_PATH_RE = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;
const truthy = (v: string | undefined) => ['1', 'true', 'yes'].includes((v ?? '').toLowerCase());

/**
 * Plan a restore of `selected` (all qubes whose data is in the backup when empty). Templates are
 * not restored: a qube's template maps to a bulkhead template of the same name, else to the
 * host's default_template. A netvm or disposable template that is neither restored nor on the
 * host falls back to the default, as qvm-backup-restore does.
 */
export function planRestore(domains: QubesDomain[], host: HostView, selected: string[] = []): RestorePlan {
  const byName = new Map(domains.map((d) => [d.name, d]));
  for (const s of selected) if (!byName.has(s)) fail('qubes.xml', `no qube named '${s}' in the backup`);
  const skipped: RestorePlan['skipped'] = [];
  const wanted = domains.filter((d) => (selected.length ? selected.includes(d.name) : d.backupPath !== null));
  const chosen: QubesDomain[] = [];
  for (const d of wanted) {
    if (d.klass === 'AdminVM') skipped.push({ name: d.name, reason: "dom0's home is not restored" });
    else if (d.klass === 'TemplateVM')
      skipped.push({
        name: d.name,
        reason: `a template: qubes based on it use bulkhead's template '${host.qubes.get(d.name)?.klass === 'template' ? d.name : (host.defaultTemplate ?? '(none)')}'`,
      });
    else if (!CLASSES[d.klass]) fail(`qubes.xml qube '${d.name}'`, `class ${d.klass} is not one bulkhead restores`);
    else if (d.backupPath === null) fail(`qubes.xml qube '${d.name}'`, 'its data is not in this backup');
    else if (host.qubes.has(d.name)) skipped.push({ name: d.name, reason: 'a qube of that name exists already' });
    else chosen.push(d);
  }
  // Templates are never restored: say which bulkhead template stands in for each one a restored qube used.
  for (const t of new Set(chosen.map((d) => d.template).filter((t): t is string => t !== null))) {
    const d = byName.get(t);
    if (d?.klass === 'TemplateVM' && !wanted.includes(d))
      skipped.push({
        name: t,
        reason: `a template: qubes based on it use bulkhead's template '${host.qubes.get(t)?.klass === 'template' ? t : (host.defaultTemplate ?? '(none)')}'`,
      });
  }
  const restored = new Set(chosen.map((d) => d.name));
  const providesNet = (n: string) => (restored.has(n) ? truthy(byName.get(n)?.props.get('provides_network')) : host.qubes.get(n)?.providesNetwork === true);
  const dispTemplate = (n: string) => (restored.has(n) ? truthy(byName.get(n)?.props.get('template_for_dispvms')) : host.qubes.get(n)?.dispTemplate === true);
  const qubes = chosen.map((d): PlannedQube => {
    const where = `qubes.xml qube '${d.name}'`;
    const notes: string[] = [];
    try {
      validateName(d.name);
    } catch (e) {
      fail(where, (e as Error).message);
    }
    if (!isLabel(d.label)) fail(where, `label '${d.label}' is not one of bulkhead's eight`);
    if (!BACKUP_PATH_RE.test(d.backupPath!) || d.backupPath!.split('/').some((c) => c === '.' || c === '..'))
      fail(where, `backup-path '${d.backupPath}' is not a plain relative path`);
    const klass = CLASSES[d.klass]!;
    let template: string;
    if (klass === 'disposable') {
      if (!d.template || !dispTemplate(d.template))
        fail(where, `its disposable template '${d.template ?? ''}' is neither restored nor a disposable template here`);
      template = d.template;
    } else if (d.template && host.qubes.get(d.template)?.klass === 'template') {
      template = d.template;
    } else {
      if (!host.defaultTemplate) fail(where, `template '${d.template ?? '(none)'}' is not a bulkhead template and no default_template is set`);
      template = host.defaultTemplate;
      notes.push(
        d.klass === 'StandaloneVM'
          ? `root copied from template '${template}' (Qubes' root.img is not restored)`
          : `template '${d.template ?? '(none)'}' mapped to '${template}'`,
      );
    }
    if (klass === 'standalone' && d.template === null && !notes.length) notes.push(`root copied from template '${template}' (Qubes' root.img is not restored)`);
    const props: Record<string, string> = {};
    if (truthy(d.props.get('provides_network'))) props.provides_network = 'true';
    if (klass === 'app' && truthy(d.props.get('template_for_dispvms'))) props.template_for_dispvms = 'true';
    for (const k of KEPT) {
      const v = d.props.get(k);
      if (v !== undefined && v !== '') props[k] = v;
    }
    const dvm = d.props.get('default_dispvm');
    if (dvm !== undefined) {
      if (dvm === '') props.default_dispvm = 'none';
      else if (dispTemplate(dvm)) props.default_dispvm = dvm;
      else notes.push(`default_dispvm '${dvm}' is not here: left to the default`);
    }
    const tags: string[] = [];
    for (const t of d.tags) {
      try {
        tags.push(validateTag(t));
      } catch {
        notes.push(`tag '${t}' is not a valid bulkhead tag: left out`);
      }
    }
    let netvm: NetvmChoice = { kind: 'default' };
    const nv = d.props.get('netvm');
    if (nv === '') netvm = { kind: 'none' };
    else if (nv !== undefined) {
      if (providesNet(nv)) netvm = { kind: 'qube', name: nv };
      else notes.push(`netvm '${nv}' is neither restored nor a netvm here: the default netvm is used`);
    }
    return { name: d.name, klass, label: d.label as Label, template, props, tags, netvm, backupPath: d.backupPath!, privateSize: d.privateSize, notes };
  });
  // Disposable templates and netvms first: whatever refers to them is made after them.
  const rank = (q: PlannedQube) => (q.klass === 'disposable' ? 1 : 0);
  qubes.sort((a, b) => rank(a) - rank(b));
  return { qubes, skipped };
}
