// Create, clone, remove, properties, tags, features: validated against the model, then one transaction each.
import { checkPassphrase, newMasterKey } from '../../crypt/index.js';
import { BulkheadError } from '../../errors/index.js';
import {
  CREATABLE_CLASSES,
  checkPropertySet,
  checkStaysOnTor,
  effective,
  GLOBAL_PROPERTIES,
  isLabel,
  LABEL_NAMES,
  propertyDef,
  isGateway,
  withQube,
  validateFeatureName,
  validateName,
  validateTag,
  type PropValue,
  type QubeClass,
  type QubeRecord,
  type SystemView,
} from '../../model/index.js';
import type { DaemonContext } from '../context.js';
import { isRunning } from './power.js';
import { cloneVolumes, createVolumes, removeVolumes, volumeHasData } from './volumes.js';

const ACTOR = 'admin';

export interface CreateRequest {
  name: string;
  klass: string;
  label: string;
  template?: string | null;
  props?: Record<string, string>;
  tags?: string[];
  features?: Record<string, string>;
  /** Encrypt the private volume (and a standalone's root) under this passphrase. Never stored or logged. */
  passphrase?: string;
}

/** Validate a create request against the system without changing anything; returns the typed props. */
export function planCreate(sys: SystemView, req: CreateRequest, allowDisposable = false): { klass: QubeClass; props: Record<string, PropValue> } {
  const name = validateName(req.name);
  if (sys.qubes.has(name)) throw new BulkheadError('ERR_QUBE_EXISTS', `a qube named '${name}' already exists`);
  const classes: readonly string[] = allowDisposable ? [...CREATABLE_CLASSES, 'disposable'] : CREATABLE_CLASSES;
  if (!classes.includes(req.klass)) throw new BulkheadError('ERR_INVALID_VALUE', `class: '${req.klass}' is not one of ${classes.join(', ')}`);
  const klass = req.klass as QubeClass;
  if (!isLabel(req.label)) throw new BulkheadError('ERR_INVALID_VALUE', `label: '${req.label}' is not one of ${LABEL_NAMES.join(', ')}`);
  const provisional: QubeRecord = { name, uuid: '', qid: 0, klass, label: req.label, props: {}, tags: [], features: {}, createdAt: '' };
  const sysWith: SystemView = { qubes: new Map([...sys.qubes, [name, provisional]]), globals: sys.globals };
  const raw: Record<string, string> = { ...(req.props ?? {}) };
  if (req.template !== undefined && req.template !== null) raw.template = req.template;
  if ((klass === 'app' || klass === 'disposable') && raw.template === undefined) {
    const d = effective(provisional, 'template', sysWith);
    if (d === null) throw new BulkheadError('ERR_INVALID_VALUE', 'template: an app qube needs --template (no default_template is set)');
  }
  if ((klass === 'template' || klass === 'standalone') && req.template) {
    // A template or standalone may be created from a template: its root is copied, then its own.
    if (!sys.qubes.get(req.template) || sys.qubes.get(req.template)?.klass !== 'template') {
      throw new BulkheadError('ERR_INVALID_VALUE', `template: '${req.template}' is not a template qube`);
    }
    delete raw.template;
  }
  const props: Record<string, PropValue> = {};
  // provides_network first: netvm checks read it.
  const keys = Object.keys(raw).sort((a, b) => (a === 'provides_network' ? -1 : b === 'provides_network' ? 1 : 0));
  for (const key of keys) {
    if (key === 'label') throw new BulkheadError('ERR_INVALID_VALUE', 'label: give it with --label');
    const value = checkPropertySet(provisional, key, raw[key], sysWith);
    props[key] = value;
    provisional.props[key] = value;
  }
  for (const t of req.tags ?? []) validateTag(t);
  for (const k of Object.keys(req.features ?? {})) validateFeatureName(k);
  // The new qube as it will be: its tags and features decide whether it is anonymous or a gateway.
  checkStaysOnTor(sys, withQube(sysWith, { ...provisional, tags: [...(req.tags ?? [])], features: { ...(req.features ?? {}) } }), `create ${name}`);
  return { klass, props };
}

export async function createQube(ctx: DaemonContext, req: CreateRequest, opts: { allowDisposable?: boolean; actor?: string } = {}): Promise<QubeRecord> {
  // A named disposable (Qubes: qvm-create --class DispVM) keeps its record; its data goes at every stop.
  if (req.klass === 'disposable' && !opts.allowDisposable) req = { ...req, props: { auto_cleanup: 'false', ...(req.props ?? {}) } };
  const { klass, props } = planCreate(ctx.store.system(), req, opts.allowDisposable || req.klass === 'disposable');
  const copyRootFrom = (klass === 'template' || klass === 'standalone') && req.template ? req.template : undefined;
  if (req.passphrase !== undefined && klass !== 'app' && klass !== 'standalone') {
    // A template's root is read by its app qubes; a disposable's data is in RAM only (amnesic).
    throw new BulkheadError(
      'ERR_INVALID_VALUE',
      `encrypted: a ${klass} qube cannot be encrypted (only app qubes, disposable templates included, and standalones)`,
    );
  }
  // The KDF before anything is written: a bad passphrase changes nothing.
  const enc = req.passphrase === undefined ? undefined : await newMasterKey(checkPassphrase(req.passphrase));
  // The record first (it allocates the qid, hence the uid range that owns the volumes); if the
  // volumes cannot be made the record goes again. A crash in between is repaired at daemon start.
  const q = ctx.store.createQube(opts.actor ?? ACTOR, {
    name: req.name,
    klass,
    label: req.label as QubeRecord['label'],
    props,
    tags: req.tags,
    features: req.features,
  });
  try {
    await createVolumes(ctx, q, copyRootFrom, enc && { key: enc.key, keyFile: enc.file });
  } catch (e) {
    ctx.store.removeQube(opts.actor ?? ACTOR, req.name, { reason: 'volumes could not be created' });
    await removeVolumes(ctx, req.name).catch(() => undefined);
    throw e;
  } finally {
    enc?.key.fill(0);
  }
  ctx.events.emit('qube-created', { qube: q.name, klass });
  return q;
}

/** Who uses this qube: as template, netvm, default_dispvm, or a global default. */
export function usersOf(sys: SystemView, name: string): string[] {
  const users: string[] = [];
  for (const o of sys.qubes.values()) {
    if (o.name === name) continue;
    for (const key of ['template', 'netvm', 'default_dispvm']) {
      if (propertyApplies(o, key) && effective(o, key, sys) === name) users.push(`${o.name} (${key})`);
    }
  }
  for (const [k, v] of Object.entries(sys.globals)) if (v === name && k in GLOBAL_PROPERTIES) users.push(`global ${k}`);
  return users;
}

function propertyApplies(q: QubeRecord, key: string): boolean {
  try {
    propertyDef(key, q);
    return true;
  } catch {
    return false;
  }
}

export async function removeQube(ctx: DaemonContext, name: string, opts: { force?: boolean; actor?: string } = {}): Promise<void> {
  await ctx.locks.run(name, async () => {
    const q = ctx.store.requireQube(name);
    if (isRunning(ctx, name)) throw new BulkheadError('ERR_QUBE_RUNNING', `'${name}' is running; shut it down first`);
    if (opts.force && isGateway(q)) {
      // A gateway that goes away leaves its workstations with no network, never a clearnet one.
      const sys = ctx.store.system();
      for (const w of sys.qubes.values()) {
        if (w.name !== name && effective(w, 'netvm', sys) === name) {
          ctx.store.setProp(opts.actor ?? ACTOR, w.name, 'netvm', null);
          ctx.events.emit('property-set', { qube: w.name, key: 'netvm', value: null });
          for (const h of ctx.hooks) await h.propertyChanged?.(ctx, w.name, 'netvm');
        }
      }
    }
    const users = usersOf(ctx.store.system(), name);
    if (users.length) throw new BulkheadError('ERR_QUBE_IN_USE', `'${name}' is in use by ${users.join(', ')}`);
    if (!opts.force && q.klass !== 'disposable' && (await volumeHasData(ctx, name))) {
      throw new BulkheadError('ERR_HAS_DATA', `'${name}' holds data in its private volume; use --force to delete it`);
    }
    ctx.store.removeQube(opts.actor ?? ACTOR, name, { force: !!opts.force });
    await removeVolumes(ctx, name);
    ctx.events.emit('qube-removed', { qube: name });
  });
}

export async function cloneQube(ctx: DaemonContext, src: string, dst: string): Promise<QubeRecord> {
  const s = ctx.store.requireQube(src);
  if (s.klass === 'disposable') throw new BulkheadError('ERR_INVALID_VALUE', 'a disposable cannot be cloned');
  validateName(dst);
  if (ctx.store.getQube(dst)) throw new BulkheadError('ERR_QUBE_EXISTS', `a qube named '${dst}' already exists`);
  const sys = ctx.store.system();
  checkStaysOnTor(sys, withQube(sys, { ...s, name: dst, uuid: '', qid: 0 }), `clone ${dst}`);
  return ctx.locks.run(src, async () => {
    // A running qube changes its volumes (and can swap files for symlinks) while they are copied:
    // the copy would be neither consistent nor safe to take. Qubes' qvm-clone refuses it too.
    if (isRunning(ctx, src)) throw new BulkheadError('ERR_QUBE_RUNNING', `'${src}' is running; shut it down before cloning it`);
    const q = ctx.store.createQube(ACTOR, { name: dst, klass: s.klass, label: s.label, props: s.props, tags: s.tags, features: s.features });
    try {
      await cloneVolumes(ctx, src, q);
    } catch (e) {
      ctx.store.removeQube(ACTOR, dst, { reason: 'volumes could not be cloned' });
      await removeVolumes(ctx, dst).catch(() => undefined);
      throw e;
    }
    ctx.store.audit(ACTOR, 'qube-cloned', dst, { from: src });
    ctx.events.emit('qube-created', { qube: dst, klass: s.klass });
    return q;
  });
}

export async function setProperty(ctx: DaemonContext, name: string, key: string, untrustedValue: unknown): Promise<PropValue> {
  const sys = ctx.store.system();
  const q = sys.qubes.get(name);
  if (!q) throw new BulkheadError('ERR_NO_SUCH_QUBE', `no qube named '${name}'`);
  const def = propertyDef(key, q);
  if (!def.hot && isRunning(ctx, name)) throw new BulkheadError('ERR_QUBE_RUNNING', `${key}: cannot change while '${name}' runs`);
  const value = checkPropertySet(q, key, untrustedValue, sys);
  checkStaysOnTor(sys, withQube(sys, { ...q, props: { ...q.props, [key]: value } }), `${key} of '${name}'`);
  ctx.store.setProp(ACTOR, name, key, value);
  ctx.events.emit('property-set', { qube: name, key, value });
  for (const h of ctx.hooks) await h.propertyChanged?.(ctx, name, key);
  return value;
}

export async function resetProperty(ctx: DaemonContext, name: string, key: string): Promise<void> {
  const sys = ctx.store.system();
  const q = sys.qubes.get(name);
  if (!q) throw new BulkheadError('ERR_NO_SUCH_QUBE', `no qube named '${name}'`);
  const def = propertyDef(key, q);
  if (def.readonly) throw new BulkheadError('ERR_INVALID_VALUE', `${key}: property is read-only`);
  if (key === 'label') throw new BulkheadError('ERR_INVALID_VALUE', 'label: has no default to reset to');
  if (!def.hot && isRunning(ctx, name)) throw new BulkheadError('ERR_QUBE_RUNNING', `${key}: cannot change while '${name}' runs`);
  // The default must itself be valid (e.g. provides_network=false while others use it).
  const without: QubeRecord = { ...q, props: { ...q.props } };
  delete without.props[key];
  const sysWithout: SystemView = { qubes: new Map([...sys.qubes, [name, without]]), globals: sys.globals };
  const dflt = effective(without, key, sysWithout);
  def.check?.(dflt, without, sysWithout);
  checkStaysOnTor(sys, sysWithout, `${key} of '${name}' (reset to its default)`);
  ctx.store.resetProp(ACTOR, name, key);
  ctx.events.emit('property-reset', { qube: name, key });
  for (const h of ctx.hooks) await h.propertyChanged?.(ctx, name, key);
}

export function setGlobal(ctx: DaemonContext, key: string, untrustedValue: unknown): PropValue {
  const g = GLOBAL_PROPERTIES[key];
  if (!g) throw new BulkheadError('ERR_UNKNOWN_PROPERTY', `unknown global property '${key}'`);
  if (typeof untrustedValue !== 'string') throw new BulkheadError('ERR_INVALID_VALUE', `${key}: value must be a string`);
  const value: PropValue = untrustedValue === '' || untrustedValue === 'none' ? null : untrustedValue;
  const sys = ctx.store.system();
  g.check(value, sys);
  checkStaysOnTor(sys, { qubes: sys.qubes, globals: { ...sys.globals, [key]: value } }, `global ${key}`);
  ctx.store.setGlobal(ACTOR, key, value);
  ctx.events.emit('global-set', { key, value });
  return value;
}

export function addTag(ctx: DaemonContext, name: string, tag: string): void {
  validateTag(tag);
  if (tag === 'anon-vm') {
    const sys = ctx.store.system();
    const q = ctx.store.requireQube(name);
    const netvm = Object.prototype.hasOwnProperty.call(q.props, 'netvm') ? q.props.netvm : null;
    if (typeof netvm === 'string' && !isGateway(sys.qubes.get(netvm))) {
      throw new BulkheadError('ERR_INVALID_VALUE', `tag anon-vm: '${name}' has the clearnet netvm '${netvm}'; set its netvm to a gateway or none first`);
    }
  }
  guardChange(ctx, name, `tag ${tag} of '${name}'`, (q) => ({ ...q, tags: q.tags.includes(tag) ? q.tags : [...q.tags, tag] }));
  if (ctx.store.addTag(ACTOR, name, tag)) ctx.events.emit('tag-added', { qube: name, tag });
}
export function removeTag(ctx: DaemonContext, name: string, tag: string): void {
  validateTag(tag);
  guardChange(ctx, name, `tag ${tag} of '${name}'`, (q) => ({ ...q, tags: q.tags.filter((t) => t !== tag) }));
  if (!ctx.store.removeTag(ACTOR, name, tag)) throw new BulkheadError('ERR_INVALID_VALUE', `tag: '${name}' has no tag '${tag}'`);
  ctx.events.emit('tag-removed', { qube: name, tag });
}
export function setFeature(ctx: DaemonContext, name: string, key: string, value: string): void {
  validateFeatureName(key);
  if (typeof value !== 'string') throw new BulkheadError('ERR_INVALID_VALUE', `feature ${key}: value must be a string`);
  guardChange(ctx, name, `feature ${key} of '${name}'`, (q) => ({ ...q, features: { ...q.features, [key]: value } }));
  ctx.store.setFeature(ACTOR, name, key, value);
  ctx.events.emit('feature-set', { qube: name, key, value });
}
export function removeFeature(ctx: DaemonContext, name: string, key: string): void {
  validateFeatureName(key);
  guardChange(ctx, name, `feature ${key} of '${name}'`, (q) => {
    const features = { ...q.features };
    delete features[key];
    return { ...q, features };
  });
  if (!ctx.store.removeFeature(ACTOR, name, key)) throw new BulkheadError('ERR_INVALID_VALUE', `feature: '${name}' has no feature '${key}'`);
  ctx.events.emit('feature-removed', { qube: name, key });
}

/** Refuse a change to one qube's record that would take it, another qube or their disposables off Tor. */
function guardChange(ctx: DaemonContext, name: string, field: string, change: (q: QubeRecord) => QubeRecord): void {
  const sys = ctx.store.system();
  const q = sys.qubes.get(name);
  if (!q) throw new BulkheadError('ERR_NO_SUCH_QUBE', `no qube named '${name}'`);
  checkStaysOnTor(sys, withQube(sys, change(q)), field);
}
