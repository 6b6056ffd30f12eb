// Reads policy text into rules: directives, includes, old per-service files and `!compat-4.0`; collects every error with file:line.
import { posix } from 'node:path';
import { checkServiceArgument, parseRuleLine, parseServiceLine } from './rule.js';
import type { PolicyLoad, PolicyProblem, Rule } from './types.js';

/** How the parser sees files; the effectful loader implements it over the real filesystem. */
export interface PolicyFiles {
  /** Names of the entries in a directory, or an error message. */
  list(dir: string): readonly string[] | { error: string };
  kind(path: string): 'file' | 'dir' | 'other' | 'none';
  /** The text of a file (valid UTF-8), or an error message. */
  read(path: string): string | { error: string };
}

export interface ParseOptions {
  /** Directory of Qubes 4.0 per-service files read by `!compat-4.0` (Qubes: /etc/qubes-rpc/policy). */
  readonly legacyDir?: string;
}

const DEFAULT_LEGACY_DIR = '/etc/qubes-rpc/policy';
const FILENAME_CHARS = /^[0-9a-z_.-]+$/;
const LEGACY_NAME_CHARS = /^[A-Za-z0-9._+-]+$/;
const LEGACY_IGNORED = ['.rpmsave', '.rpmnew', '.swp'];
const MAX_DEPTH = 32;

/** Splits text into lines as Python's universal newlines do. */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The `*.policy` files of a directory Qubes would read, sorted bytewise; a badly named one is an error. */
export function policyFilesIn(dir: string, files: PolicyFiles): { names: string[]; errors: string[] } | { error: string } {
  const listed = files.list(dir);
  if (!Array.isArray(listed)) return { error: (listed as { error: string }).error };
  const names = (listed as readonly string[]).filter((n) => n.endsWith('.policy') && !n.startsWith('.') && files.kind(posix.join(dir, n)) === 'file');
  const errors = names.filter((n) => !FILENAME_CHARS.test(n)).map((n) => `invalid filename: ${posix.join(dir, n)}`);
  return { names: names.sort(byCodeUnit), errors };
}

export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

class Parser {
  readonly rules: Rule[] = [];
  readonly errors: PolicyProblem[] = [];
  readonly warnings: PolicyProblem[] = [];
  private readonly stack: string[] = [];
  /** Directory that `!include*` paths are relative to: that of the top-level file being read. */
  base = '/';

  constructor(
    private readonly files: PolicyFiles,
    private readonly opts: ParseOptions,
  ) {}

  err(file: string, line: number, message: string): void {
    this.errors.push({ file, line, message });
  }

  private enter(path: string, from: string, line: number): boolean {
    if (this.stack.includes(path)) {
      this.err(from, line, `include loop: ${path}`);
      return false;
    }
    if (this.stack.length >= MAX_DEPTH) {
      this.err(from, line, `includes nested deeper than ${MAX_DEPTH}`);
      return false;
    }
    return true;
  }

  private readIncluded(rel: string, from: string, line: number): { path: string; text: string } | null {
    const path = posix.resolve(this.base, rel);
    if (this.files.kind(path) !== 'file') {
      this.err(from, line, `not a file: ${path}`);
      return null;
    }
    const text = this.files.read(path);
    if (typeof text !== 'string') {
      this.err(from, line, `cannot read ${path}: ${text.error}`);
      return null;
    }
    return { path, text };
  }

  /** A `policy.d` file. */
  file(text: string, file: string): void {
    this.stack.push(file);
    try {
      splitLines(text).forEach((raw, i) => this.line(raw.trim(), file, i + 1));
    } finally {
      this.stack.pop();
    }
  }

  private line(line: string, file: string, no: number): void {
    if (line === '' || line.startsWith('#')) return;
    if (!line.startsWith('!')) {
      const r = parseRuleLine(line, file, no);
      if (typeof r === 'string') this.err(file, no, r);
      else this.rules.push(r);
      return;
    }
    const [directive, ...params] = line.split(/\s+/);
    switch (directive) {
      case '!include':
      case '!include-dir': {
        if (params.length !== 1) return this.err(file, no, 'invalid number of params');
        return directive === '!include' ? this.include(params[0]!, file, no) : this.includeDir(params[0]!, file, no);
      }
      case '!include-service': {
        if (params.length !== 3) return this.err(file, no, 'invalid number of params');
        const [svc, arg, path] = params as [string, string, string];
        return this.includeService(svc, arg, path, file, no);
      }
      case '!compat-4.0':
        if (params.length !== 0) return this.err(file, no, 'invalid number of params');
        this.warnings.push({ file, line: no, message: '!compat-4.0 is transitional and will be deprecated' });
        return this.compat40(file, no);
      default:
        return this.err(file, no, 'invalid directive');
    }
  }

  private include(rel: string, from: string, no: number): void {
    const got = this.readIncluded(rel, from, no);
    if (got && this.enter(got.path, from, no)) this.file(got.text, got.path);
  }

  private includeDir(rel: string, from: string, no: number): void {
    const dir = posix.resolve(this.base, rel);
    if (this.files.kind(dir) !== 'dir') return this.err(from, no, `not a directory: ${dir}`);
    const listed = policyFilesIn(dir, this.files);
    if ('error' in listed) return this.err(from, no, `cannot list ${dir}: ${listed.error}`);
    for (const e of listed.errors) this.err(from, no, e);
    if (listed.errors.length > 0) return;
    for (const name of listed.names) {
      const path = posix.join(dir, name);
      const text = this.files.read(path);
      if (typeof text !== 'string') {
        this.err(from, no, `cannot read ${path}: ${text.error}`);
        continue;
      }
      if (this.enter(path, from, no)) this.file(text, path);
    }
  }

  private includeService(svc: string, arg: string, rel: string, from: string, no: number): void {
    const sa = checkServiceArgument(svc, arg);
    if (typeof sa === 'string') return this.err(from, no, sa);
    const got = this.readIncluded(rel, from, no);
    if (got && this.enter(got.path, from, no)) this.serviceFile(svc, arg, got.text, got.path);
  }

  /** An old per-service file: `SOURCE TARGET ACTION[,OPTION...]` with `$` keywords. */
  private serviceFile(svc: string, arg: string, text: string, file: string): void {
    this.stack.push(file);
    try {
      splitLines(text).forEach((raw, i) => {
        const no = i + 1;
        let line = raw.trim();
        if (line === '' || line.startsWith('#')) return;
        line = line.replaceAll('$include:', '!include ').replaceAll('$', '@').replaceAll(',', ' ');
        if (line.startsWith('!')) {
          const [directive, ...params] = line.split(/\s+/);
          if (directive !== '!include') return this.err(file, no, 'invalid directive');
          if (params.length !== 1) return this.err(file, no, 'invalid number of params');
          return this.includeService(svc, arg, params[0]!, file, no);
        }
        const r = parseServiceLine(svc, arg, line, file, no);
        if (typeof r === 'string') this.err(file, no, r);
        else this.rules.push(r);
      });
    } finally {
      this.stack.pop();
    }
  }

  /** `!compat-4.0`: the Qubes 4.0 per-service files, specific arguments before the general file. */
  private compat40(from: string, no: number): void {
    if (this.stack.includes('!compat-4.0')) return this.err(from, no, '!compat-4.0 is not recursive');
    const dir = this.opts.legacyDir ?? DEFAULT_LEGACY_DIR;
    const listed = this.files.list(dir);
    if (!Array.isArray(listed)) return this.err(from, no, `cannot list ${dir}: ${(listed as { error: string }).error}`);
    const services = new Map<string, Map<string, string>>();
    for (const name of listed as readonly string[]) {
      const path = posix.join(dir, name);
      if (this.files.kind(path) !== 'file' || !LEGACY_NAME_CHARS.test(name)) continue;
      if (LEGACY_IGNORED.some((s) => name.endsWith(s))) continue;
      const plus = name.indexOf('+');
      const svc = plus < 0 ? name : name.slice(0, plus);
      const arg = plus < 0 ? '*' : name.slice(plus);
      if (!services.has(svc)) services.set(svc, new Map());
      services.get(svc)!.set(arg, path);
    }
    const saveBase = this.base;
    this.base = dir;
    this.stack.push('!compat-4.0');
    try {
      for (const svc of [...services.keys()].sort(byCodeUnit)) {
        const args = services.get(svc)!;
        const order = [...args.keys()].sort((a, b) => (a === '*' ? 1 : b === '*' ? -1 : byCodeUnit(a, b)));
        for (const arg of order) {
          const path = args.get(arg)!;
          this.includeService(svc, arg, path, from, no);
          if (arg === '*') continue;
          // A 4.0 file for one argument ended in an implicit deny; keep it so the general file is not reached.
          for (const line of ['@anyvm @anyvm deny', '@anyvm @adminvm deny']) {
            const r = parseServiceLine(svc, arg, line, path, 0);
            if (typeof r !== 'string') this.rules.push(r);
          }
        }
      }
    } finally {
      this.stack.pop();
      this.base = saveBase;
    }
  }
}

function finish(p: Parser): PolicyLoad {
  if (p.errors.length > 0) return { ok: false, errors: p.errors };
  return { ok: true, policy: { rules: p.rules }, warnings: p.warnings };
}

/**
 * Loads the policy from directories as Qubes does: every `*.policy` file of every directory, a name
 * seen in an earlier directory hiding the same name in a later one, all read in bytewise name order.
 * Includes are relative to the directory of the top-level file being read.
 */
export function loadPolicy(dirs: readonly string[], files: PolicyFiles, opts: ParseOptions = {}): PolicyLoad {
  const p = new Parser(files, opts);
  const chosen = new Map<string, string>();
  for (const dir of dirs) {
    const listed = policyFilesIn(dir, files);
    if ('error' in listed) {
      p.err(dir, 0, `cannot list policy directory: ${listed.error}`);
      continue;
    }
    for (const e of listed.errors) p.err(dir, 0, e);
    for (const name of listed.names) if (!chosen.has(name)) chosen.set(name, posix.join(dir, name));
  }
  for (const name of [...chosen.keys()].sort(byCodeUnit)) {
    const path = chosen.get(name)!;
    const text = files.read(path);
    if (typeof text !== 'string') {
      p.err(path, 0, `cannot read: ${text.error}`);
      continue;
    }
    p.base = posix.dirname(path);
    p.file(text, path);
  }
  return finish(p);
}

const NO_FILES: PolicyFiles = {
  list: () => ({ error: 'no files available' }),
  kind: () => 'none',
  read: () => ({ error: 'no files available' }),
};

/** Parses one text as a top-level policy file named `file`; includes go through `files`. */
export function parsePolicyText(text: string, file = '<text>', files: PolicyFiles = NO_FILES, opts: ParseOptions = {}): PolicyLoad {
  const p = new Parser(files, opts);
  p.base = posix.dirname(posix.resolve('/', file));
  p.file(text, file);
  return finish(p);
}
