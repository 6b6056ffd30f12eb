// qubes.xml of a Qubes R4.x backup (labels, global properties, domains) read with fast-xml-parser, bounded (pure).
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { fail } from './errors.js';

/** Qubes refuses a header plus qubes.xml beyond 1 MiB. */
export const MAX_XML_BYTES = 1024 * 1024;
const MAX_DOMAINS = 1000;

export interface QubesDomain {
  /** Qubes' class: AppVM, DispVM, StandaloneVM, TemplateVM, AdminVM. */
  klass: string;
  name: string;
  /** The label's name (Qubes' eight colours, or a custom one). */
  label: string;
  template: string | null;
  /** Remaining properties as Qubes wrote them; '' is an explicit "none" (e.g. netvm). */
  props: Map<string, string>;
  features: Map<string, string>;
  tags: string[];
  /** Where the qube's files lie in the archive (`vm3`), or null when its data is not in the backup. */
  backupPath: string | null;
  backupSize: number;
  /** Size of its private volume in Qubes (volume-config), when given. */
  privateSize: number | null;
}

export interface QubesXml {
  globals: Map<string, string>;
  domains: QubesDomain[];
}

type Node = Record<string, unknown>;
const ARRAYS = new Set(['label', 'property', 'domain', 'feature', 'tag', 'volume', 'rule', 'devices', 'device', 'pool', 'option']);

/** Parse an XML document of ours to read (qubes.xml, firewall.xml): no DTD, bounded, attributes kept as strings. */
export function parseXmlDocument(untrusted: Buffer, where: string): Node {
  if (untrusted.length > MAX_XML_BYTES) fail(where, `larger than ${MAX_XML_BYTES} bytes`);
  const text = untrusted.toString('utf8');
  // No document type: entities defined there could expand without bound; Qubes writes none.
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) fail(where, 'holds a DOCTYPE or ENTITY declaration');
  const valid = XMLValidator.validate(text);
  if (valid !== true) fail(where, `is not well-formed XML (line ${valid.err.line}: ${valid.err.msg})`);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    isArray: (tag) => ARRAYS.has(tag),
    processEntities: true,
    htmlEntities: false,
  });
  try {
    return parser.parse(text) as Node;
  } catch (e) {
    fail(where, `is not well-formed XML (${(e as Error).message})`);
  }
}

function obj(v: unknown): Node {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Node) : {};
}
function list(v: unknown): Node[] {
  return Array.isArray(v) ? v.map(obj) : [];
}
/** Text of an element parsed as a string, or an object holding '#text'. */
export function textOf(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const t = obj(v)['#text'];
  return typeof t === 'string' ? t : t === undefined ? '' : String(t);
}
export function attr(v: unknown, name: string): string | undefined {
  const a = obj(v)[`@${name}`];
  return typeof a === 'string' ? a : undefined;
}

/** Name → text of `<property name="…">text</property>` children. */
export function propertiesOf(parent: unknown, where: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of list(obj(parent).property)) {
    const n = attr(p, 'name');
    if (!n) fail(where, 'a property has no name');
    out.set(n, textOf(p));
  }
  return out;
}

export function parseQubesXml(untrusted: Buffer, where = 'qubes.xml'): QubesXml {
  const root = obj(parseXmlDocument(untrusted, where).qubes);
  if (Object.keys(root).length === 0) fail(where, 'has no <qubes> root element');
  const labels = new Map<string, string>();
  for (const l of list(obj(root.labels).label)) {
    const id = attr(l, 'id');
    const name = textOf(l);
    if (id) labels.set(id, name);
    labels.set(name, name);
  }
  const globals = propertiesOf(root.properties, `${where} <properties>`);
  const domains: QubesDomain[] = [];
  const names = new Set<string>();
  const all = list(obj(root.domains).domain);
  if (all.length > MAX_DOMAINS) fail(where, `more than ${MAX_DOMAINS} domains`);
  for (const [i, d] of all.entries()) {
    const klass = attr(d, 'class') ?? '';
    const dw = `${where} domain ${i + 1}`;
    const props = propertiesOf(d.properties, dw);
    const name = klass === 'AdminVM' ? 'dom0' : props.get('name');
    if (!name) fail(dw, 'has no name property');
    if (names.has(name)) fail(dw, `the name '${name}' appears twice`);
    names.add(name);
    const labelRef = props.get('label') ?? '';
    const label = labels.get(labelRef);
    if (label === undefined) fail(`${where} domain '${name}'`, `label '${labelRef}' is not among the labels`);
    const features = new Map<string, string>();
    for (const f of list(obj(d.features).feature)) {
      const n = attr(f, 'name');
      if (n) features.set(n, textOf(f));
    }
    const tags = list(obj(d.tags).tag)
      .map((t) => attr(t, 'name'))
      .filter((t): t is string => !!t);
    const included = ['1', 'true', 'yes'].includes((features.get('backup-content') ?? '').toLowerCase());
    const backupPath = included ? (features.get('backup-path') ?? null) : null;
    const sizeText = features.get('backup-size') ?? '0';
    let privateSize: number | null = null;
    for (const v of list(obj(d['volume-config']).volume)) {
      if (attr(v, 'name') === 'private' && /^[0-9]{1,15}$/.test(attr(v, 'size') ?? '')) privateSize = Number(attr(v, 'size'));
    }
    const template = props.get('template') || null;
    for (const k of ['name', 'label', 'template', 'uuid', 'qid']) props.delete(k);
    for (const k of ['backup-content', 'backup-path', 'backup-size']) features.delete(k);
    domains.push({
      klass,
      name,
      label,
      template,
      props,
      features,
      tags,
      backupPath,
      backupSize: /^[0-9]{1,15}$/.test(sizeText) ? Number(sizeText) : 0,
      privateSize,
    });
  }
  return { globals, domains };
}
