// The one line bulkheadd prints when it cannot start: a table of causes and their lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BulkheadError } from '../errors/index.js';
import { startErrorLine } from './start-error.js';

const errno = (code: string, syscall: string, path: string) => Object.assign(new Error(`${code}: x, ${syscall} '${path}'`), { code, syscall, path });

const CASES: Array<[unknown, string]> = [
  [new BulkheadError('ERR_RUNTIME', 'native helper x missing'), 'native helper x missing'],
  [errno('EACCES', 'open', '/h/bulkheadd.log'), 'state directory /h is not usable: open /h/bulkheadd.log: permission denied'],
  [errno('EROFS', 'mkdir', '/h'), 'state directory /h is not usable: mkdir /h: read-only file system'],
  [errno('ENOENT', 'open', '/elsewhere/f'), 'open /elsewhere/f: no such file or directory'],
  [errno('EWEIRD', 'open', '/h2/f'), 'open /h2/f: EWEIRD'],
  [new Error('first\n    at stack (x.js:1)\n'), 'first'],
  [new Error('\n\n'), 'unknown error'],
  ['a string', 'a string'],
];

for (const [e, line] of CASES) {
  test(`start error line: ${line}`, () => assert.equal(startErrorLine(e, '/h'), line));
}
