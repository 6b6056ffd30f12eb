// Whose a process is, from the kernel: its cgroup line, in any hierarchy; and whether it is alive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { inCgroup, pidAlive } from './pids.js';

test('a process is in the cgroup /proc says, and in no other', () => {
  const own = readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n');
  const path = own[own.length - 1]!.split(':').slice(2).join(':');
  assert.equal(inCgroup(process.pid, path), true, `own cgroup ${path}`);
  assert.equal(inCgroup(process.pid, `${path === '/' ? '' : path}/bulkhead/not-this-one`), false);
  assert.equal(inCgroup(process.pid, '/bulkhead'), path === '/bulkhead');
  assert.equal(inCgroup(2 ** 30, path), false, 'a pid that does not exist');
  assert.equal(pidAlive(process.pid), true);
  assert.equal(pidAlive(2 ** 30), false);
});
