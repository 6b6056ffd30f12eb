// Parses one policy rule (new `policy.d` line or old per-service line) into a Rule, or says what is wrong.
import { parseToken } from './tokens.js';
import type { Action, ActionName, Rule, Token } from './types.js';

const SERVICE_CHARS = /^[A-Za-z0-9._-]+$/;
const ARGUMENT_CHARS = /^[A-Za-z0-9._+-]+$/;

/** Checks the SERVICE and ARGUMENT fields; `*` becomes null. */
export function checkServiceArgument(service: string, argument: string): { service: string | null; argument: string | null } | string {
  const svc = service === '*' ? null : service;
  if (svc !== null && !SERVICE_CHARS.test(svc)) return `service '${service}' contains invalid characters`;
  const arg = argument === '*' ? null : argument;
  if (arg !== null) {
    if (!ARGUMENT_CHARS.test(arg)) return `argument '${argument}' contains invalid characters`;
    if (!arg.startsWith('+')) return `argument '${argument}' does not start with +`;
    if (svc === null) return 'only * argument allowed for * service';
  }
  return { service: svc, argument: arg };
}

const ALLOWED_OPTIONS: Record<ActionName, ReadonlySet<string>> = {
  deny: new Set(['notify']),
  allow: new Set(['target', 'user', 'notify', 'autostart']),
  ask: new Set(['target', 'default_target', 'user', 'notify', 'autostart']),
};

function isAction(s: string): s is ActionName {
  return s === 'allow' || s === 'deny' || s === 'ask';
}

function parseAction(name: string, params: readonly string[], target: Token): Action | string {
  if (!isAction(name)) return `invalid action: ${name}`;
  const opts = new Map<string, string>();
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq < 0) return `invalid action parameter syntax: '${p}'`;
    const key = p.slice(0, eq);
    if (opts.has(key)) return `parameter given twice: '${key}'`;
    opts.set(key, p.slice(eq + 1));
  }
  for (const key of ['notify', 'autostart']) {
    const v = opts.get(key);
    if (v !== undefined && v !== 'yes' && v !== 'no') return `'${key}' is '${v}', but can be only 'yes' or 'no'`;
  }
  for (const key of opts.keys()) {
    if (!ALLOWED_OPTIONS[name].has(key)) return `invalid parameter for action ${name}: '${key}'`;
  }
  const redirect = (key: string): Token | null | string => {
    const v = opts.get(key);
    if (v === undefined) return null;
    const t = parseToken(v, 'redirect');
    return typeof t === 'string' ? `${key}=: ${t}` : t;
  };
  const red = redirect('target');
  if (typeof red === 'string') return red;
  const def = redirect('default_target');
  if (typeof def === 'string') return def;
  const notify = opts.get('notify');
  const action: Action = {
    name,
    target: red,
    defaultTarget: def,
    user: opts.get('user') || null,
    notify: notify === undefined ? name === 'deny' : notify === 'yes',
    autostart: opts.get('autostart') !== 'no',
  };
  if (target.kind === 'default' && name === 'allow' && red === null) {
    return 'allow action for @default rule must specify target= option';
  }
  return action;
}

/** Builds a rule from already split fields. */
export function buildRule(
  service: string,
  argument: string,
  source: string,
  target: string,
  action: string,
  params: readonly string[],
  file: string,
  line: number,
): Rule | string {
  const sa = checkServiceArgument(service, argument);
  if (typeof sa === 'string') return sa;
  const src = parseToken(source, 'source');
  if (typeof src === 'string') return src;
  const tgt = parseToken(target, 'target');
  if (typeof tgt === 'string') return tgt;
  const act = parseAction(action, params, tgt);
  if (typeof act === 'string') return act;
  return { service: sa.service, argument: sa.argument, source: src, target: tgt, action: act, file, line };
}

/** A `policy.d` line: SERVICE ARGUMENT SOURCE TARGET ACTION [OPTIONS...]. */
export function parseRuleLine(text: string, file: string, line: number): Rule | string {
  const f = text.trim().split(/\s+/);
  if (f.length < 5 || f[0] === '') return 'wrong number of fields';
  const [service, argument, source, target, action, ...params] = f as [string, string, string, string, string, ...string[]];
  return buildRule(service, argument, source, target, action, params, file, line);
}

/** An old per-service line (after `$`→`@` and `,`→space): SOURCE TARGET ACTION [OPTIONS...]. */
export function parseServiceLine(service: string, argument: string, text: string, file: string, line: number): Rule | string {
  const f = text
    .trim()
    .split(/[\s,]+/)
    .filter((x) => x !== '');
  if (f.length < 3) return 'wrong number of fields';
  const [source, target, action, ...params] = f as [string, string, string, ...string[]];
  return buildRule(service, argument, source, target, action, params, file, line);
}
