// Decisions of the control-port filter: which workstation command lines reach tor, and how answers are rewritten.
import type { CommandRule, ControlProfile, ReplacementVars } from './control-profile.js';

export const FILTERED_REPLY = '510 Command filtered';
/** Longest command line accepted (onion-grater's limit); longer input closes the connection. */
export const MAX_LINE = 10 * 1024;

export type ControlDecision = { forward: string; rule: CommandRule } | { reply: string; close?: boolean } | { ignore: true };

export interface FilterContext {
  /** tor's version, for the filter's own PROTOCOLINFO answer. */
  torVersion?: string;
}

const LINE_RE = /^([A-Za-z][A-Za-z0-9_]*)(?:[ \t]+(.*))?$/;

function parse(line: string): { cmd: string; args: string } | null {
  const m = LINE_RE.exec(line);
  if (!m) return null;
  return { cmd: (m[1] ?? '').toUpperCase(), args: (m[2] ?? '').replace(/[ \t]+$/, '') };
}

/** The rule of `profile` that allows command line `line`, if any. */
export function ruleFor(profile: ControlProfile, line: string): CommandRule | undefined {
  const p = parse(line.replace(/\r$/, ''));
  if (!p) return undefined;
  return profile.commands.get(p.cmd)?.find((r) => r.pattern.test(p.args));
}

/**
 * Decide one line from a workstation (without its `\n`). Authentication and PROTOCOLINFO are
 * answered here (the workstation needs no cookie); SETEVENTS succeeds only for suppressed events;
 * anything not allowed by the profile gets `510 Command filtered`.
 */
export function filterControlLine(profile: ControlProfile, untrusted_line: string, ctx: FilterContext = {}): ControlDecision {
  const line = untrusted_line.replace(/\r$/, '');
  if (line.trim() === '') return { ignore: true };
  if (line.length > MAX_LINE || /[\x00-\x08\x0a-\x1f\x7f]/.test(line)) return { reply: FILTERED_REPLY };
  const p = parse(line);
  if (!p) return { reply: FILTERED_REPLY };
  switch (p.cmd) {
    case 'PROTOCOLINFO': {
      const v = ctx.torVersion && /^[0-9A-Za-z.+-]+$/.test(ctx.torVersion) ? [`250-VERSION Tor="${ctx.torVersion}"`] : [];
      return { reply: ['250-PROTOCOLINFO 1', '250-AUTH METHODS=NULL', ...v, '250 OK'].join('\r\n') };
    }
    case 'AUTHENTICATE':
      return { reply: '250 OK' };
    case 'QUIT':
      return { reply: '250 closing connection', close: true };
    case 'SETEVENTS': {
      const events = p.args
        .split(/[ \t]+/)
        .filter((e) => e !== '')
        .map((e) => e.toUpperCase());
      if (events.some((e) => !profile.events.has(e))) return { reply: FILTERED_REPLY };
      return { reply: '250 OK' };
    }
  }
  const rule = profile.commands.get(p.cmd)?.find((r) => r.pattern.test(p.args));
  if (!rule) return { reply: FILTERED_REPLY };
  return { forward: p.args === '' ? p.cmd : `${p.cmd} ${p.args}`, rule };
}

function substitute(template: string, groups: string[], vars: ReplacementVars): string {
  return template.replace(/\{([^}]*)\}/g, (_m, key: string) => {
    if (/^[0-9]$/.test(key)) return groups[Number(key)] ?? '';
    return vars[key as keyof ReplacementVars] ?? '';
  });
}

/**
 * Rewrite tor's complete reply to an allowed command per the rule's response list: each reply
 * line that fully matches a pattern is replaced (first matching pattern wins); others pass unchanged.
 */
export function rewriteResponse(profile: ControlProfile, commandLine: string, response: string, vars: ReplacementVars = {}): string {
  const rule = ruleFor(profile, commandLine);
  if (!rule || rule.response.length === 0) return response;
  const trailing = response.endsWith('\r\n') ? '\r\n' : '';
  const body = trailing ? response.slice(0, -2) : response;
  return (
    body
      .split('\r\n')
      .map((l) => {
        for (const r of rule.response) {
          const m = r.pattern.exec(l);
          if (m)
            return substitute(
              r.replacement,
              m.slice(1).map((g) => g ?? ''),
              vars,
            );
        }
        return l;
      })
      .join('\r\n') + trailing
  );
}
