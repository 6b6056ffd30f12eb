// Types of the RPC policy: tokens, rules, a loaded policy, the system snapshot, requests and decisions.

/** A qube reference as written in a policy field, after syntax checking. */
export type Token =
  | { kind: 'name'; name: string }
  | { kind: 'uuid'; uuid: string }
  | { kind: 'wildcard' }
  | { kind: 'adminvm' }
  | { kind: 'anyvm' }
  | { kind: 'default' }
  | { kind: 'type'; value: string }
  | { kind: 'tag'; value: string }
  | { kind: 'dispvm' }
  | { kind: 'dispvm-template'; ref: string }
  | { kind: 'dispvm-tag'; value: string };

/** Where a token appears; each place accepts a different set of tokens. */
export type TokenPlace = 'source' | 'target' | 'redirect' | 'requested';

export type ActionName = 'allow' | 'deny' | 'ask';

export interface Action {
  readonly name: ActionName;
  /** `target=` redirect (allow, ask). */
  readonly target: Token | null;
  /** `default_target=` (ask only). */
  readonly defaultTarget: Token | null;
  readonly user: string | null;
  readonly notify: boolean;
  readonly autostart: boolean;
}

export interface Rule {
  /** null = `*` */
  readonly service: string | null;
  /** null = `*`; otherwise starts with `+` */
  readonly argument: string | null;
  readonly source: Token;
  readonly target: Token;
  readonly action: Action;
  readonly file: string;
  /** 0 for rules the loader adds itself (the implicit denies of `!compat-4.0`). */
  readonly line: number;
}

/** One problem in the policy text; any one of them makes the whole policy deny everything. */
export interface PolicyProblem {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

export interface Policy {
  readonly rules: readonly Rule[];
}

export type PolicyLoad = { ok: true; policy: Policy; warnings: PolicyProblem[] } | { ok: false; errors: PolicyProblem[] };

export type QubeClass = 'app' | 'template' | 'standalone' | 'disposable' | 'admin';

export interface SystemQube {
  readonly class: QubeClass;
  readonly tags: readonly string[];
  readonly running: boolean;
  readonly default_dispvm: string | null;
  readonly template_for_dispvms: boolean;
  readonly internal: boolean;
  readonly uuid: string | null;
}

/** What the evaluator knows about the system; `dom0` is added when missing. */
export interface SystemSnapshot {
  readonly qubes: Readonly<Record<string, SystemQube>>;
}

export interface PolicyRequest {
  readonly source: string;
  /** As the caller wrote it; '' means `@default`. */
  readonly target: string;
  readonly service: string;
  /** '+' for a call without argument. */
  readonly argument: string;
}

export interface Decision {
  readonly result: 'allow' | 'deny' | 'ask';
  readonly target: string | null;
  readonly user: string | null;
  readonly autostart: boolean | null;
  readonly notify: boolean;
  readonly candidates: readonly string[];
  readonly default_target: string | null;
  /** `file:line` of the rule that decided, null when none did. */
  readonly rule: string | null;
  /** Why, in words (for the audit log). */
  readonly reason: string;
}
