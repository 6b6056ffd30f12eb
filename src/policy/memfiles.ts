// PolicyFiles over an in-memory map of absolute paths to texts (tests and policy previews).
import { posix } from 'node:path';
import type { PolicyFiles } from './parse.js';

export function memFiles(tree: Readonly<Record<string, string>>): PolicyFiles {
  const dirs = new Set<string>();
  for (const p of Object.keys(tree)) {
    for (let d = posix.dirname(p); ; d = posix.dirname(d)) {
      dirs.add(d);
      if (d === '/') break;
    }
  }
  return {
    list(dir) {
      if (!dirs.has(dir)) return { error: `no such directory: ${dir}` };
      const names = new Set<string>();
      for (const p of [...Object.keys(tree), ...dirs]) {
        if (p !== dir && posix.dirname(p) === dir) names.add(posix.basename(p));
      }
      return [...names];
    },
    kind: (path) => (Object.prototype.hasOwnProperty.call(tree, path) ? 'file' : dirs.has(path) ? 'dir' : 'none'),
    read: (path) => (Object.prototype.hasOwnProperty.call(tree, path) ? tree[path]! : { error: 'no such file' }),
  };
}
