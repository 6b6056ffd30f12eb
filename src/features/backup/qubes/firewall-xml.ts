// A qube's firewall.xml from a Qubes R4.x backup turned into bulkhead firewall rule lines, each checked by firewall/ (pure).
import { formatRule, parseRule } from '../../../firewall/index.js';
import { fail } from './errors.js';
import { attr, parseXmlDocument, propertiesOf } from './qubes-xml.js';

const MAX_RULES = 4096;
/** Qubes' rule properties, in the order bulkhead's rule text lists them; comment last (it takes the rest of the line). */
const ORDER = ['action', 'dsthost', 'dst4', 'dst6', 'dstname', 'proto', 'dstports', 'icmptype', 'specialtarget', 'expire', 'comment'];

/** Rule lines (canonical bulkhead text) from `<firewall version="2"><rules><rule><properties>…`. */
export function parseFirewallXml(untrusted: Buffer, where: string): string[] {
  const doc = parseXmlDocument(untrusted, where) as Record<string, unknown>;
  const fw = doc.firewall as Record<string, unknown> | undefined;
  if (!fw || typeof fw !== 'object') fail(where, 'has no <firewall> root element');
  const version = attr(fw, 'version');
  if (version !== undefined && version !== '2') fail(where, `firewall format version ${version} is not Qubes R4's (2)`);
  const rules = ((fw.rules as Record<string, unknown> | undefined)?.rule ?? []) as unknown[];
  if (!Array.isArray(rules) || rules.length > MAX_RULES) fail(where, `more than ${MAX_RULES} rules`);
  return rules.map((r, i) => {
    const rw = `${where} rule ${i + 1}`;
    const props = propertiesOf((r as Record<string, unknown>).properties, rw);
    for (const k of props.keys()) if (!ORDER.includes(k)) fail(rw, `unknown rule property '${k}'`);
    const line = ORDER.filter((k) => props.has(k))
      .map((k) => `${k}=${props.get(k)}`)
      .join(' ');
    try {
      return formatRule(parseRule(line));
    } catch (e) {
      fail(rw, (e as Error).message);
    }
  });
}
