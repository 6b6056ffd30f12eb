// Reads policy directories from disk (C-locale order, includes resolved) into a Policy, or the list of errors.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { formatProblem, loadPolicy, type ParseOptions, type PolicyFiles, type PolicyLoad } from '../policy/index.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** PolicyFiles over the real filesystem; invalid UTF-8 is an error, not a guess. */
export const diskFiles: PolicyFiles = {
  list(dir) {
    try {
      return readdirSync(dir);
    } catch (e) {
      return { error: (e as Error).message };
    }
  },
  kind(path) {
    try {
      const st = statSync(path);
      return st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other';
    } catch {
      return 'none';
    }
  },
  read(path) {
    try {
      return utf8.decode(readFileSync(path));
    } catch (e) {
      return { error: e instanceof TypeError ? 'not valid UTF-8' : (e as Error).message };
    }
  },
};

/** Loads the policy from `dirs` (earlier directories hide same-named files of later ones). */
export function loadPolicyDirs(dirs: readonly string[], opts: ParseOptions = {}): PolicyLoad {
  if (dirs.length === 0) return { ok: false, errors: [{ file: '<none>', line: 0, message: 'no policy directory given' }] };
  return loadPolicy(dirs, diskFiles, opts);
}

/** The errors of a failed load as `file:line: message` lines. */
export function describeErrors(load: PolicyLoad): string[] {
  return load.ok ? [] : load.errors.map(formatProblem);
}
