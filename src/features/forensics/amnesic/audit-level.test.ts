// Tests of the audit level of disposables: what a minimal row keeps, which rows it touches, idempotence.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactAuditDetail, type LevelOf } from './audit-level.js';

const levels: Record<string, 'minimal' | 'full'> = { disp1: 'minimal', disp2: 'full', '@dispvm:dvm': 'minimal', '@dispvm:fulldvm': 'full' };
const levelOf: LevelOf = (n) => levels[n] ?? (n === '@dispvm' ? 'minimal' : null);

describe('amnesic: audit level', () => {
  it('a minimal disposable keeps no command line', () => {
    assert.deepEqual(redactAuditDetail(levelOf, 'qube-exec', 'disp1', { argv: ['sh', '-c', 'secret'], user: 'user', disposable: true }), {
      disposable: true,
      audit: 'minimal',
    });
  });

  it('created: klass, and of the properties only template and netvm', () => {
    assert.deepEqual(
      redactAuditDetail(levelOf, 'qube-created', 'disp1', {
        klass: 'disposable',
        label: 'red',
        qid: 7,
        uuid: 'u',
        props: { template: 'dvm', netvm: 'sys-net', memory: '400' },
        tags: ['x'],
      }),
      { klass: 'disposable', props: { template: 'dvm', netvm: 'sys-net' }, audit: 'minimal' },
    );
    assert.deepEqual(redactAuditDetail(levelOf, 'qube-started', 'disp1', { pid: 1234, uidBase: 99 }), { audit: 'minimal' });
  });

  it('RPC rows that name a minimal disposable as source, target or requested @dispvm lose the argument', () => {
    const row = {
      id: 'a1',
      source: 'work',
      requested: '@dispvm:dvm',
      service: 'qubes.OpenURL',
      argument: '+https://secret.example/',
      result: 'allow',
      target: '@dispvm:dvm',
      rule: 'x:1',
      reason: 'r',
    };
    assert.deepEqual(redactAuditDetail(levelOf, 'rpc-decision', 'work', row), {
      id: 'a1',
      source: 'work',
      requested: '@dispvm:dvm',
      service: 'qubes.OpenURL',
      result: 'allow',
      target: '@dispvm:dvm',
      rule: 'x:1',
      reason: 'r',
      audit: 'minimal',
    });
    const quoted = redactAuditDetail(levelOf, 'rpc-call-end', 'work', {
      ...row,
      reason: 'qubes.OpenURL+https://secret.example/ failed',
      exit: 1,
      bytesIn: 99,
    }) as Record<string, unknown>;
    assert.equal(quoted.reason, 'qubes.OpenURL+… failed', 'the argument is cut out of a reason that quotes it');
    assert.equal(quoted.exit, 1);
    assert.equal(quoted.bytesIn, undefined);
    assert.equal(
      (redactAuditDetail(levelOf, 'rpc-call-end', 'disp1', { ...row, source: 'disp1', target: 'work', requested: 'work' }) as Record<string, unknown>).argument,
      undefined,
    );
    assert.equal(
      (redactAuditDetail(levelOf, 'rpc-decision', 'work', { ...row, requested: '@dispvm', target: '@dispvm' }) as Record<string, unknown>).argument,
      undefined,
      'a bare @dispvm fails closed',
    );
  });

  it('full disposables and rows about no disposable are unchanged; the strictest level wins', () => {
    const row = { argv: ['ls'], user: 'user' };
    assert.equal(redactAuditDetail(levelOf, 'qube-exec', 'disp2', row), row);
    assert.equal(redactAuditDetail(levelOf, 'qube-exec', 'work', row), row);
    const both = { source: 'disp2', target: 'disp1', argument: '+x' };
    assert.deepEqual(redactAuditDetail(levelOf, 'rpc-decision', 'disp2', both), { source: 'disp2', target: 'disp1', audit: 'minimal' });
    assert.deepEqual(redactAuditDetail(levelOf, 'qube-started', 'disp1', { pid: 5, uidBase: 7 }), { audit: 'minimal' });
  });

  it('applying it twice changes nothing (rows are judged when queued and again when written)', () => {
    const once = redactAuditDetail(levelOf, 'rpc-decision', 'disp1', { source: 'disp1', argument: '+a', service: 's' });
    assert.deepEqual(
      redactAuditDetail(() => null, 'rpc-decision', 'disp1', once),
      once,
    );
    assert.deepEqual(redactAuditDetail(levelOf, 'rpc-decision', 'disp1', once), once);
  });
});
