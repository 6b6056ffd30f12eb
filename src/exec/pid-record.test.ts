// Pid records: a live process is recognised, a reused pid (other start time) and bad text are not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { livePid, parsePidRecord, pidRecordText, recordAlive, startTimeOf } from './pid-record.js';

test('a record names the running process, and only it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pidrec-'));
  const child = spawn('sleep', ['30']);
  try {
    const file = join(dir, 'p.pid');
    writeFileSync(file, pidRecordText(child.pid!));
    assert.equal(livePid(file), child.pid);
    const rec = parsePidRecord(pidRecordText(child.pid!))!;
    assert.equal(recordAlive({ ...rec, start: String(Number(rec.start) + 1) }), false, 'another start time is another process');
    child.kill('SIGKILL');
    await once(child, 'exit');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(livePid(file), null, 'an ended process is not alive');
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('malformed records are refused', () => {
  for (const t of ['', '12', 'x 1', '1 2', '12 3 4', '-5 1', '12 1\n\n', `${'9'.repeat(11)} 1`]) assert.equal(parsePidRecord(t), null, JSON.stringify(t));
  assert.deepEqual(parsePidRecord('123 456\n'), { pid: 123, start: '456' });
  assert.equal(startTimeOf(2 ** 30), null);
  assert.match(startTimeOf(process.pid) ?? '', /^\d+$/);
});
