// A qube's usage from its cgroup files: v2 (memory.current, cpu.stat) and v1 (memory, cpuacct); nulls when the cgroup is gone.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cgroupUsage } from './usage.js';

describe('cgroup usage', () => {
  const root = mkdtempSync(join(tmpdir(), 'bh-cg-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  it('reads v2', () => {
    const d = join(root, 'v2', 'bulkhead', 'bh1-work');
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'memory.current'), '5242880\n');
    writeFileSync(join(d, 'cpu.stat'), 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n');
    assert.deepEqual(cgroupUsage('v2', 'bh1-work', join(root, 'v2')), { memoryBytes: 5242880, cpuNs: 1_500_000 });
  });
  it('reads v1 and hybrid', () => {
    const r = join(root, 'v1');
    mkdirSync(join(r, 'memory', 'bulkhead', 'bh1-work'), { recursive: true });
    mkdirSync(join(r, 'cpuacct', 'bulkhead', 'bh1-work'), { recursive: true });
    writeFileSync(join(r, 'memory', 'bulkhead', 'bh1-work', 'memory.usage_in_bytes'), '360448\n');
    writeFileSync(join(r, 'cpuacct', 'bulkhead', 'bh1-work', 'cpuacct.usage'), '123456789\n');
    assert.deepEqual(cgroupUsage('hybrid', 'bh1-work', r), { memoryBytes: 360448, cpuNs: 123456789 });
  });
  it('gives nulls for a qube without a cgroup', () => {
    assert.deepEqual(cgroupUsage('v2', 'bh1-gone', join(root, 'v2')), { memoryBytes: null, cpuNs: null });
    assert.deepEqual(cgroupUsage('v1', 'bh1-gone', join(root, 'v1')), { memoryBytes: null, cpuNs: null });
  });
});
