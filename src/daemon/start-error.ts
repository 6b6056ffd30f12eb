// Turns any start-up failure of bulkheadd into one line a user understands: the file and what is wrong, never a stack.
import { isBulkheadError } from '../errors/index.js';

const ERRNO: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  ENOTDIR: 'a path component is not a directory',
  EISDIR: 'is a directory',
  ENOENT: 'no such file or directory',
  EEXIST: 'already exists',
  EDQUOT: 'disk quota exceeded',
  EADDRINUSE: 'address in use',
  ELOOP: 'too many symbolic links',
};

/** The last line bulkheadd prints when it cannot start (without the `bulkheadd: ` prefix). */
export function startErrorLine(e: unknown, home: string): string {
  if (isBulkheadError(e)) return firstLine(e.message);
  const err = e as NodeJS.ErrnoException | null;
  if (err && typeof err === 'object' && typeof err.code === 'string' && typeof err.path === 'string') {
    const what = ERRNO[err.code] ?? err.code;
    const where = err.path === home || err.path.startsWith(`${home}/`) ? `state directory ${home} is not usable: ` : '';
    return `${where}${err.syscall ?? 'access'} ${err.path}: ${what}`;
  }
  return firstLine(e instanceof Error ? e.message : String(e));
}

function firstLine(s: string): string {
  return (
    s
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? 'unknown error'
  );
}
