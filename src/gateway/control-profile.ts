// Control-port filter profiles (Whonix onion-grater's allow-lists) as validated data.
import { z } from 'zod';
import { bad } from './validate.js';

/** Commands the filter answers itself; a profile cannot allow them through to tor. */
export const FILTER_OWN_COMMANDS = ['PROTOCOLINFO', 'AUTHENTICATE', 'AUTHCHALLENGE', 'QUIT', 'SETEVENTS'] as const;
/** Variables a replacement may use besides regex groups `{0}`…`{9}`. */
export const REPLACEMENT_VARS = ['socks-address', 'client-address'] as const;
export type ReplacementVars = Partial<Record<(typeof REPLACEMENT_VARS)[number], string>>;

export interface ResponseRule {
  pattern: RegExp;
  replacement: string;
}
export interface CommandRule {
  /** Source text of the argument pattern (matched against the whole argument string). */
  source: string;
  pattern: RegExp;
  response: ResponseRule[];
}
export interface ControlProfile {
  name: string;
  description: string;
  /** Upper-case command → rules; a command line passes if one rule matches its arguments. */
  commands: ReadonlyMap<string, CommandRule[]>;
  /** Events a client may subscribe to; each is suppressed (the client is told OK, tor never sends them). */
  events: ReadonlySet<string>;
}

const replacementSchema = z.object({ pattern: z.string(), replacement: z.string() }).strict();
const ruleSchema = z.union([z.string(), z.object({ pattern: z.string(), response: z.array(replacementSchema).optional() }).strict()]);
const profileSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]{0,40}$/, 'lower-case letters, digits and -'),
    description: z.string().default(''),
    commands: z.record(z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'an upper-case control command'), z.array(ruleSchema)),
    events: z.record(z.string().regex(/^[A-Z][A-Z_]*$/), z.object({ suppress: z.literal(true) }).strict()).default({}),
  })
  .strict();

function anchored(where: string, src: string): RegExp {
  if (/[\r\n]/.test(src)) throw bad(where, 'pattern must not contain line breaks');
  try {
    return new RegExp(`^(?:${src})$`);
  } catch (e) {
    throw bad(where, `invalid regular expression: ${(e as Error).message}`);
  }
}

function checkReplacement(where: string, r: string): string {
  if (/[\x00-\x1f\x7f]/.test(r)) throw bad(where, 'must not contain control characters');
  for (const m of r.matchAll(/\{([^}]*)\}/g)) {
    const v = m[1] ?? '';
    if (!/^[0-9]$/.test(v) && !(REPLACEMENT_VARS as readonly string[]).includes(v)) {
      throw bad(where, `unknown variable {${v}} (use {0}-{9} or ${REPLACEMENT_VARS.map((x) => `{${x}}`).join(', ')})`);
    }
  }
  return r;
}

/** Validate an untrusted profile (parsed JSON). `source` names the file in errors. */
export function parseProfile(untrusted: unknown, source = 'profile'): ControlProfile {
  const r = profileSchema.safeParse(untrusted);
  if (!r.success) {
    const i = r.error.issues[0];
    throw bad(`${source}: ${i?.path.join('.') || '(top)'}`, i?.message ?? 'invalid');
  }
  const p = r.data;
  const commands = new Map<string, CommandRule[]>();
  for (const [cmd, rules] of Object.entries(p.commands)) {
    if ((FILTER_OWN_COMMANDS as readonly string[]).includes(cmd)) {
      throw bad(`${source}: commands.${cmd}`, 'is answered by the filter itself and cannot be allowed through');
    }
    commands.set(
      cmd,
      rules.map((rule, i) => {
        const where = `${source}: commands.${cmd}[${i}]`;
        const o = typeof rule === 'string' ? { pattern: rule, response: [] } : { pattern: rule.pattern, response: rule.response ?? [] };
        return {
          source: o.pattern,
          pattern: anchored(`${where}.pattern`, o.pattern),
          response: o.response.map((x, j) => ({
            pattern: anchored(`${where}.response[${j}].pattern`, x.pattern),
            replacement: checkReplacement(`${where}.response[${j}].replacement`, x.replacement),
          })),
        };
      }),
    );
  }
  return { name: p.name, description: p.description, commands, events: new Set(Object.keys(p.events)) };
}
