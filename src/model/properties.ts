// The one declared table of qube properties: type, default, validation, doc. prefs, API and checks read it.
import { BulkheadError } from '../errors/index.js';
import type { QubeClass } from './classes.js';
import { dispvmRefusalFor } from './anonymity.js';
import { isLabel, LABEL_NAMES } from './labels.js';
import type { PropValue, QubeRecord, SystemView } from './qube.js';

export type PropType = 'string' | 'int' | 'bool' | 'qube' | 'label' | 'size';

export interface PropertyDef {
  name: string;
  type: PropType;
  doc: string;
  /** Default as a function of the qube and system (Qubes: "inherit from template", "global default"). */
  default: (q: QubeRecord, sys: SystemView) => PropValue;
  readonly?: boolean;
  /** For `qube` type: whether none (null) is allowed. */
  nullable?: boolean;
  /** Classes that have this property; all when absent. */
  classes?: readonly QubeClass[];
  min?: number;
  max?: number;
  /** Checks against the rest of the system; throws ERR_INVALID_VALUE / ERR_QUBE_IN_USE. */
  check?: (value: PropValue, q: QubeRecord, sys: SystemView) => void;
  /** Whether it may change while the qube runs. */
  hot?: boolean;
}

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
/** Volume sizes: below 16 MiB ext4 has no room for its journal; above 16 TiB ext4 needs 64-bit blocks. */
export const MIN_VOLUME_BYTES = 16 * MIB;
export const MAX_VOLUME_BYTES = 16 * 1024 * GIB;

/** A size as bytes: `2G`, `512M`, `64k`, `1T` (powers of 1024, optional `iB`/`B`) or plain bytes; null if not a size. */
export function parseSize(s: string): number | null {
  const m = /^(\d{1,16})\s*([kKmMgGtT])?(?:i?B)?$/.exec(s.trim());
  if (!m) return null;
  const mult = { k: 1024, m: MIB, g: GIB, t: 1024 * GIB }[(m[2] ?? '').toLowerCase()] ?? 1;
  const n = Number(m[1]) * mult;
  return Number.isSafeInteger(n) ? n : null;
}

/** A size for people: whole GiB/MiB when exact, else bytes. */
export function formatSize(n: number): string {
  if (n % GIB === 0) return `${n / GIB}G`;
  if (n % MIB === 0) return `${n / MIB}M`;
  return String(n);
}

const globalRef =
  (key: string) =>
  (_q: QubeRecord, sys: SystemView): PropValue => {
    const v = sys.globals[key];
    return typeof v === 'string' && sys.qubes.has(v) ? v : null;
  };

function mustBe(sys: SystemView, name: string, field: string, pred: (q: QubeRecord) => boolean, what: string): QubeRecord {
  const target = sys.qubes.get(name);
  if (!target) throw new BulkheadError('ERR_INVALID_VALUE', `${field}: no qube named '${name}'`, { field });
  if (!pred(target)) throw new BulkheadError('ERR_INVALID_VALUE', `${field}: '${name}' ${what}`, { field });
  return target;
}

/** A disposable's value of `key` is its disposable template's (fallback when the template is gone). */
function inheritFromTemplate(q: QubeRecord, sys: SystemView, key: string, fallback: PropValue): PropValue {
  const t = q.props.template;
  const tq = typeof t === 'string' ? sys.qubes.get(t) : undefined;
  return tq && tq.klass === 'app' ? effective(tq, key, sys) : fallback;
}

export function effective(q: QubeRecord, key: string, sys: SystemView): PropValue {
  const def = PROPERTIES.get(key);
  if (!def) throw new BulkheadError('ERR_UNKNOWN_PROPERTY', `unknown property '${key}'`);
  return Object.prototype.hasOwnProperty.call(q.props, key) ? (q.props[key] as PropValue) : def.default(q, sys);
}

/** A gateway is a netvm running Tor (Whonix-Gateway): the only netvm a workstation may have. */
export function isGateway(q: QubeRecord | undefined): boolean {
  return !!q && q.features['gateway'] !== undefined && q.features['gateway'] !== '';
}

/** Qubes-Whonix marks workstations with the tag anon-vm; they never get a clearnet netvm. */
export function isWorkstationTagged(q: QubeRecord): boolean {
  return q.tags.includes('anon-vm');
}

const netvmCheck = (value: PropValue, q: QubeRecord, sys: SystemView): void => {
  if (value === null) return;
  const name = String(value);
  if (isWorkstationTagged(q) && !isGateway(sys.qubes.get(name))) {
    throw new BulkheadError('ERR_INVALID_VALUE', `netvm: '${q.name}' is a workstation (tag anon-vm); its netvm must be a gateway, not '${name}'`);
  }
  if (name === q.name) throw new BulkheadError('ERR_INVALID_VALUE', `netvm: a qube cannot be its own netvm`);
  mustBe(sys, name, 'netvm', (t) => effective(t, 'provides_network', sys) === true, 'does not provide network (provides_network=false)');
  // Refuse loops: walking up from the new netvm must never reach this qube.
  let cur: string | null = name;
  for (let hops = 0; cur !== null && hops < 64; hops++) {
    if (cur === q.name) throw new BulkheadError('ERR_INVALID_VALUE', `netvm: '${name}' would make a netvm loop`);
    const cq = sys.qubes.get(cur);
    cur = cq ? (effective(cq, 'netvm', sys) as string | null) : null;
  }
};

const DEFS: PropertyDef[] = [
  { name: 'name', type: 'string', readonly: true, doc: 'Name of the qube', default: (q) => q.name },
  { name: 'klass', type: 'string', readonly: true, doc: 'Class: admin, template, app, standalone, disposable', default: (q) => q.klass },
  { name: 'uuid', type: 'string', readonly: true, doc: 'UUID of the qube', default: (q) => q.uuid },
  { name: 'qid', type: 'int', readonly: true, doc: 'Small unique number of the qube', default: (q) => q.qid },
  { name: 'label', type: 'label', doc: `Trust colour: ${LABEL_NAMES.join(', ')}`, hot: true, default: (q) => q.label },
  {
    name: 'template',
    type: 'qube',
    doc: 'Template whose root filesystem this qube boots from',
    classes: ['app', 'disposable'],
    default: (_q, sys) => globalRef('default_template')(_q, sys),
    check: (v, q, sys) => {
      if (v === null) throw new BulkheadError('ERR_INVALID_VALUE', 'template: an app qube needs a template');
      if (q.klass === 'disposable') {
        mustBe(
          sys,
          String(v),
          'template',
          (t) => t.klass === 'app' && effective(t, 'template_for_dispvms', sys) === true,
          'is not a disposable template (template_for_dispvms=false)',
        );
      } else {
        mustBe(sys, String(v), 'template', (t) => t.klass === 'template', 'is not a template qube');
      }
    },
  },
  {
    name: 'netvm',
    type: 'qube',
    nullable: true,
    hot: true,
    doc: 'Qube that gives this one its network (none = no network)',
    default: (q, sys) => {
      if (q.klass === 'template') return null; // templates update through the RPC proxy, not a netvm
      if (effective(q, 'provides_network', sys) === true) return null;
      const d = globalRef('default_netvm')(q, sys);
      if (d === q.name) return null;
      // Fail closed: a workstation falls back to no network, never to a clearnet netvm.
      if (isWorkstationTagged(q) && !isGateway(sys.qubes.get(String(d)))) return null;
      return d;
    },
    check: netvmCheck,
  },
  {
    name: 'provides_network',
    type: 'bool',
    doc: 'Whether other qubes may use this one as netvm',
    default: () => false,
    check: (v, q, sys) => {
      if (v === true) return;
      const users = [...sys.qubes.values()].filter((o) => o.name !== q.name && effective(o, 'netvm', sys) === q.name).map((o) => o.name);
      if (users.length) throw new BulkheadError('ERR_QUBE_IN_USE', `provides_network: '${q.name}' is the netvm of ${users.join(', ')}`);
    },
  },
  {
    name: 'default_dispvm',
    type: 'qube',
    nullable: true,
    hot: true,
    doc: 'Disposable template for disposables this qube starts',
    default: (q, sys) => {
      // Qubes: a disposable's disposables come from its own disposable template.
      const d = q.klass === 'disposable' ? effective(q, 'template', sys) : globalRef('default_dispvm')(q, sys);
      // Fail closed: an anonymous qube falls back to none, never to a clearnet disposable template.
      if (typeof d === 'string' && dispvmRefusalFor(sys, q, d) !== null) return null;
      return d;
    },
    check: (v, _q, sys) => {
      if (v === null) return;
      mustBe(
        sys,
        String(v),
        'default_dispvm',
        (t) => t.klass === 'app' && effective(t, 'template_for_dispvms', sys) === true,
        'is not a disposable template (template_for_dispvms=false)',
      );
    },
  },
  { name: 'template_for_dispvms', type: 'bool', classes: ['app'], doc: 'Whether disposables may be made from this qube', hot: true, default: () => false },
  { name: 'memory', type: 'int', min: 32, max: 1 << 20, doc: 'Memory the qube is guaranteed, MiB (cgroup soft limit)', default: () => 400 },
  { name: 'maxmem', type: 'int', min: 32, max: 1 << 20, doc: 'Memory the qube may use at most, MiB (cgroup hard limit)', default: () => 4000 },
  { name: 'vcpus', type: 'int', min: 1, max: 256, doc: 'CPUs the qube may use (cgroup quota)', default: () => 2 },
  { name: 'autostart', type: 'bool', hot: true, doc: 'Start the qube when the daemon starts', default: () => false },
  { name: 'include_in_backups', type: 'bool', hot: true, doc: 'Whether backups include this qube', default: () => true },
  { name: 'qrexec_timeout', type: 'int', min: 1, max: 3600, hot: true, doc: 'Seconds an RPC call may wait for this qube', default: () => 60 },
  { name: 'shutdown_timeout', type: 'int', min: 1, max: 3600, hot: true, doc: 'Seconds a shutdown waits before killing', default: () => 60 },
  { name: 'revisions_to_keep', type: 'int', min: 0, max: 100, hot: true, doc: 'Revisions of the private volume kept at stop', default: () => 1 },
  { name: 'auto_cleanup', type: 'bool', classes: ['disposable'], hot: true, doc: 'Remove the disposable when it stops', default: () => true },
  {
    name: 'private_size',
    type: 'size',
    min: MIN_VOLUME_BYTES,
    max: MAX_VOLUME_BYTES,
    doc: 'Size of the private volume (/rw, /home/user), bytes (2G, 512M accepted); grows with `volume resize`',
    default: () => 2 * GIB,
  },
  {
    name: 'root_size',
    type: 'size',
    min: MIN_VOLUME_BYTES,
    max: MAX_VOLUME_BYTES,
    classes: ['template', 'standalone'],
    doc: 'Size of the persistent root layer of a template or standalone (its writes to /usr, /etc, /var), bytes; grows with `volume resize`',
    default: () => 10 * GIB,
  },
  {
    name: 'volatile_size',
    type: 'size',
    min: MIN_VOLUME_BYTES,
    max: MAX_VOLUME_BYTES,
    classes: ['app', 'disposable'],
    doc: 'Size of the volatile volume (the root layer discarded at stop: /usr, /var, /tmp), bytes; RAM-backed, so at most maxmem by default',
    default: (q, sys) => Math.min(10 * GIB, (effective(q, 'maxmem', sys) as number) * MIB),
  },
  {
    name: 'tor_network',
    type: 'string',
    doc: "A gateway's network profile: lab (the sealed lab's Tor network) or public (the real Tor network); none for other qubes",
    // init sets it; a gateway made by hand joins the lab, the only network a build that cannot reach the real one may name.
    default: (q) => (isGateway(q) ? 'lab' : null),
    check: (v, q) => {
      if (!isGateway(q)) throw new BulkheadError('ERR_INVALID_VALUE', `tor_network: '${q.name}' is not a gateway (feature gateway)`);
      if (v !== 'lab' && v !== 'public') throw new BulkheadError('ERR_INVALID_VALUE', `tor_network: '${String(v)}' is not lab or public`);
    },
  },
  { name: 'pids_max', type: 'int', min: 16, max: 1 << 22, doc: 'Most processes the qube may hold', default: () => 4096 },
  {
    name: 'amnesic',
    type: 'bool',
    classes: ['app', 'disposable'],
    doc: "Disposables' data (private volume, root changes) only in RAM, never on disk (a disposable template's setting; its disposables inherit it)",
    // A disposable follows its disposable template; anything else defaults to RAM only.
    default: (q, sys) => (q.klass === 'disposable' ? inheritFromTemplate(q, sys, 'amnesic', true) : true),
  },
  {
    name: 'audit_level',
    type: 'string',
    classes: ['app', 'disposable'],
    doc: "What the audit log keeps of disposables: minimal (name, times, template; never command lines or RPC arguments) or full (a disposable template's setting; its disposables inherit it)",
    default: (q, sys) => (q.klass === 'disposable' ? inheritFromTemplate(q, sys, 'audit_level', 'minimal') : 'minimal'),
    check: (v) => {
      if (v !== 'minimal' && v !== 'full') throw new BulkheadError('ERR_INVALID_VALUE', `audit_level: '${String(v)}' is not minimal or full`);
    },
  },
];

export const PROPERTIES: ReadonlyMap<string, PropertyDef> = new Map(DEFS.map((d) => [d.name, d]));

export function propertyDef(key: string, q?: QubeRecord): PropertyDef {
  const def = PROPERTIES.get(key);
  if (!def || (q && def.classes && !def.classes.includes(q.klass))) {
    throw new BulkheadError(
      'ERR_UNKNOWN_PROPERTY',
      `unknown property '${key}'${q ? ` for ${q.klass === 'app' || q.klass === 'admin' ? 'an' : 'a'} ${q.klass} qube` : ''}`,
    );
  }
  return def;
}

/** Parse a property value given as a string (CLI and API both send strings, as Qubes' admin API does). */
export function parsePropValue(def: PropertyDef, untrustedValue: unknown): PropValue {
  const field = def.name;
  if (typeof untrustedValue !== 'string') {
    throw new BulkheadError('ERR_INVALID_VALUE', `${field}: value must be given as a string`, { field });
  }
  const s = untrustedValue;
  switch (def.type) {
    case 'bool':
      if (/^(true|yes|1|on)$/i.test(s)) return true;
      if (/^(false|no|0|off)$/i.test(s)) return false;
      throw new BulkheadError('ERR_INVALID_VALUE', `${field}: '${s}' is not a boolean (true/false)`, { field });
    case 'int': {
      if (!/^-?\d+$/.test(s)) throw new BulkheadError('ERR_INVALID_VALUE', `${field}: '${s}' is not an integer`, { field });
      const n = Number(s);
      if (def.min !== undefined && n < def.min) throw new BulkheadError('ERR_INVALID_VALUE', `${field}: ${n} is below the minimum ${def.min}`, { field });
      if (def.max !== undefined && n > def.max) throw new BulkheadError('ERR_INVALID_VALUE', `${field}: ${n} is above the maximum ${def.max}`, { field });
      return n;
    }
    case 'size': {
      const n = parseSize(s);
      if (n === null) throw new BulkheadError('ERR_INVALID_VALUE', `${field}: '${s}' is not a size (bytes, or a number with K, M, G or T)`, { field });
      if (def.min !== undefined && n < def.min)
        throw new BulkheadError('ERR_INVALID_VALUE', `${field}: ${formatSize(n)} is below the minimum ${formatSize(def.min)}`, { field });
      if (def.max !== undefined && n > def.max)
        throw new BulkheadError('ERR_INVALID_VALUE', `${field}: ${formatSize(n)} is above the maximum ${formatSize(def.max)}`, { field });
      return n;
    }
    case 'label':
      if (!isLabel(s)) throw new BulkheadError('ERR_INVALID_VALUE', `${field}: '${s}' is not one of ${LABEL_NAMES.join(', ')}`, { field });
      return s;
    case 'qube':
      if (s === '' || s === 'none') {
        if (!def.nullable) throw new BulkheadError('ERR_INVALID_VALUE', `${field}: may not be none`, { field });
        return null;
      }
      return s;
    case 'string':
      return s;
  }
}

/** Validate a new value for q.key against the whole system; returns the parsed value. */
export function checkPropertySet(q: QubeRecord, key: string, untrustedValue: unknown, sys: SystemView): PropValue {
  const def = propertyDef(key, q);
  if (def.readonly) throw new BulkheadError('ERR_INVALID_VALUE', `${key}: property is read-only`);
  const value = parsePropValue(def, untrustedValue);
  def.check?.(value, q, sys);
  if (key === 'memory' || key === 'maxmem') {
    const mem = key === 'memory' ? value : effective(q, 'memory', sys);
    const max = key === 'maxmem' ? value : effective(q, 'maxmem', sys);
    if (typeof mem === 'number' && typeof max === 'number' && max < mem) {
      throw new BulkheadError('ERR_INVALID_VALUE', `${key}: maxmem (${max}) must not be below memory (${mem})`);
    }
  }
  return value;
}

/** Every property of q with its effective value and whether it is the default. */
export function listProperties(q: QubeRecord, sys: SystemView): { name: string; value: PropValue; isDefault: boolean; type: PropType }[] {
  return DEFS.filter((d) => !d.classes || d.classes.includes(q.klass)).map((d) => ({
    name: d.name,
    value: effective(q, d.name, sys),
    isDefault: !Object.prototype.hasOwnProperty.call(q.props, d.name) && !d.readonly,
    type: d.type,
  }));
}

/** Disposables one qube's @dispvm calls may hold at once when max_dispvms_per_qube is not set. */
export const DEFAULT_MAX_DISPVMS_PER_QUBE = 4;

function parseDispvmLimit(v: PropValue): number {
  const s = String(v);
  if (!/^\d{1,4}$/.test(s) || Number(s) > 1000)
    throw new BulkheadError('ERR_INVALID_VALUE', `max_dispvms_per_qube: '${s}' is not a whole number from 0 to 1000`);
  return Number(s);
}

/** Global properties (Qubes' qubes-prefs). */
export const GLOBAL_PROPERTIES: Record<string, { doc: string; check: (v: PropValue, sys: SystemView) => void }> = {
  default_netvm: {
    doc: 'netvm of qubes that set none themselves',
    check: (v, sys) => {
      if (v !== null) mustBe(sys, String(v), 'default_netvm', (t) => effective(t, 'provides_network', sys) === true, 'does not provide network');
    },
  },
  default_template: {
    doc: 'template of new app qubes',
    check: (v, sys) => {
      if (v !== null) mustBe(sys, String(v), 'default_template', (t) => t.klass === 'template', 'is not a template');
    },
  },
  default_dispvm: {
    doc: 'disposable template of qubes that set none',
    check: (v, sys) => {
      if (v !== null) mustBe(sys, String(v), 'default_dispvm', (t) => effective(t, 'template_for_dispvms', sys) === true, 'is not a disposable template');
    },
  },
  clockvm: {
    doc: 'qube that keeps time',
    check: (v, sys) => {
      if (v !== null) mustBe(sys, String(v), 'clockvm', () => true, '');
    },
  },
  updatevm: {
    doc: 'qube that fetches updates',
    check: (v, sys) => {
      if (v !== null) mustBe(sys, String(v), 'updatevm', () => true, '');
    },
  },
  dashboard_port: {
    doc: 'TCP port of the dashboard on 127.0.0.1 (none or 0 = off)',
    check: (v) => {
      if (v !== null) parseDashboardPort(v);
    },
  },
  max_dispvms_per_qube: {
    doc: `disposables the RPC calls of one qube may hold at once (none = ${DEFAULT_MAX_DISPVMS_PER_QUBE})`,
    check: (v) => {
      if (v !== null) parseDispvmLimit(v);
    },
  },
};

/** The effective max_dispvms_per_qube (a global, stored as text). */
export function maxDispvmsPerQube(sys: SystemView): number {
  const v = sys.globals.max_dispvms_per_qube;
  if (v === null || v === undefined) return DEFAULT_MAX_DISPVMS_PER_QUBE;
  try {
    return parseDispvmLimit(v);
  } catch {
    return DEFAULT_MAX_DISPVMS_PER_QUBE;
  }
}

/** The dashboard's port from its global's text: an integer 0..65535 (0 = off). */
export function parseDashboardPort(v: PropValue): number {
  const s = String(v);
  if (!/^[0-9]{1,5}$/.test(s) || Number(s) > 65535)
    throw new BulkheadError('ERR_INVALID_VALUE', `dashboard_port: '${s}' is not a port number (0 to 65535; 0 = off)`);
  return Number(s);
}
