// Desktop entries (.desktop files, freedesktop Desktop Entry spec 1.5): the [Desktop Entry] group and its Exec line as an argv (pure).
import { BulkheadError } from '../../errors/index.js';

export interface DesktopApp {
  /** The file's id: its name without `.desktop` (what `run --app` takes, with Name). */
  id: string;
  name: string;
  /** The command as an argv, field codes (%f, %u, ...) removed: no shell ever sees it. */
  argv: string[];
  /** NoDisplay=true: an application that menus do not list (still runnable by its id). */
  noDisplay: boolean;
}

export const MAX_ENTRY_BYTES = 64 * 1024;
const MAX_EXEC_CHARS = 4096;
const MAX_ARGS = 64;

function bad(file: string, line: number, why: string): BulkheadError {
  return new BulkheadError('ERR_INVALID_VALUE', `${file}:${line}: ${why}`);
}

/** Unescapes a string value (\s \n \t \r \\); other escapes stay as they are. */
function unescapeValue(v: string): string {
  return v.replace(/\\([sntr\\])/g, (_, c: string) => ({ s: ' ', n: '\n', t: '\t', r: '\r', '\\': '\\' })[c]!);
}

/**
 * Splits an Exec value into arguments: spaces separate, double quotes group, inside quotes a
 * backslash escapes `"`, `` ` ``, `$` and `\`. Field codes are removed (%% is a %): an app started
 * by `run --app` gets no file, so every argument that holds a field code goes whole (`--file=%f`
 * too: it only carries the file).
 */
export function execArgv(exec: string, where = 'Exec'): string[] {
  if (exec.length > MAX_EXEC_CHARS) throw new BulkheadError('ERR_INVALID_VALUE', `${where}: longer than ${MAX_EXEC_CHARS} characters`);
  const args: string[] = [];
  let cur = '';
  let inArg = false;
  let quoted = false;
  let hadCode = false;
  const push = (): void => {
    if (inArg && !hadCode) args.push(cur);
    cur = '';
    inArg = false;
    hadCode = false;
  };
  for (let i = 0; i < exec.length; i++) {
    const c = exec[i]!;
    if (quoted) {
      if (c === '"') quoted = false;
      else if (c === '\\' && i + 1 < exec.length && '"`$\\'.includes(exec[i + 1]!)) cur += exec[++i];
      else cur += c;
      continue;
    }
    if (c === ' ' || c === '\t') {
      push();
      continue;
    }
    inArg = true;
    if (c === '"') quoted = true;
    else if (c === '%') {
      const n = exec[++i];
      if (n === '%') cur += '%';
      else if (n !== undefined && 'fFuUdDnNickvm'.includes(n)) hadCode = true;
      else throw new BulkheadError('ERR_INVALID_VALUE', `${where}: unknown field code %${n ?? ''}`);
    } else cur += c;
  }
  if (quoted) throw new BulkheadError('ERR_INVALID_VALUE', `${where}: a quote is not closed`);
  push();
  if (args.length === 0) throw new BulkheadError('ERR_INVALID_VALUE', `${where}: no command`);
  if (args.length > MAX_ARGS) throw new BulkheadError('ERR_INVALID_VALUE', `${where}: more than ${MAX_ARGS} arguments`);
  return args;
}

/**
 * The application a .desktop file describes, or null when it is not one to run (Type is not
 * Application, Hidden=true, no Exec). `file` names the file in errors.
 */
export function parseDesktopEntry(id: string, text: string, file = `${id}.desktop`): DesktopApp | null {
  if (text.length > MAX_ENTRY_BYTES) throw bad(file, 1, `longer than ${MAX_ENTRY_BYTES} bytes`);
  const fields = new Map<string, { value: string; line: number }>();
  let group: string | null = null;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '' || line.startsWith('#')) continue;
    const g = /^\[([^\]]*)\]$/.exec(line);
    if (g) {
      group = g[1]!;
      continue;
    }
    if (group !== 'Desktop Entry') continue;
    const kv = /^([A-Za-z0-9-]+)\s*=\s*(.*)$/.exec(line);
    if (!kv) {
      if (/^[A-Za-z0-9-]+\[[^\]]+\]\s*=/.test(line)) continue; // a localized key: the C locale's is used
      throw bad(file, i + 1, 'not a key=value line');
    }
    if (!fields.has(kv[1]!)) fields.set(kv[1]!, { value: kv[2]!, line: i + 1 });
  }
  const get = (k: string): string | undefined => fields.get(k)?.value;
  if (get('Type') !== 'Application' || get('Hidden') === 'true') return null;
  const exec = fields.get('Exec');
  if (!exec) return null;
  const name = unescapeValue(get('Name') ?? id).slice(0, 200);
  const argv = execArgv(unescapeValue(exec.value), `${file}:${exec.line}: Exec`);
  return { id, name, argv, noDisplay: get('NoDisplay') === 'true' };
}

/** The app `wanted` names (its id, or its Name ignoring case), or null. */
export function findApp(apps: readonly DesktopApp[], wanted: string): DesktopApp | null {
  return apps.find((a) => a.id === wanted) ?? apps.find((a) => a.name.toLowerCase() === wanted.toLowerCase()) ?? null;
}
