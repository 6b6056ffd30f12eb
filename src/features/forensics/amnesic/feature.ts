// The amnesic feature in the daemon: refuses an amnesic disposable's start over unencrypted swap, and cuts disposables' audit rows to their audit level.
import { statSync } from 'node:fs';
import { BulkheadError } from '../../../errors/index.js';
import { volumePaths } from '../../../storage/index.js';
import { effective } from '../../../model/index.js';
import type { DaemonContext, QubeHooks } from '../../../daemon/context.js';
import type { StateStore } from '../../../state/index.js';
import { redactAuditDetail, type AuditLevel } from './audit-level.js';
import { hostSwapVerdict } from './swap-facts.js';

/** The audit level of a disposable (or of the template a `@dispvm:TPL` call will use), else null. */
export function levelOf(store: StateStore, name: string): AuditLevel | null {
  if (name === '@dispvm') return 'minimal';
  const dispvmTemplate = name.startsWith('@dispvm:') ? name.slice('@dispvm:'.length) : null;
  const q = store.getQube(dispvmTemplate ?? name);
  if (!q) return dispvmTemplate !== null ? 'minimal' : null;
  if (dispvmTemplate === null && q.klass !== 'disposable') return null;
  const v = q.props.audit_level ?? effective(q, 'audit_level', store.system());
  return v === 'full' ? 'full' : 'minimal';
}

/** Installs the audit rule for disposables and returns the swap veto (run before every feature's hooks). */
export function amnesicVeto(ctx: DaemonContext): QubeHooks {
  ctx.store.setAuditRedactor((event, qube, detail) => redactAuditDetail((n) => levelOf(ctx.store, n), event, qube, detail));
  return {
    preStart: async (c, name) => {
      const q = c.store.requireQube(name);
      if (q.klass !== 'disposable') return;
      // Only a disposable whose private volume is in RAM depends on swap: judged by what its
      // volumes are (made at create), not by the template's setting now.
      if (statSync(volumePaths(c.paths.qubesDir, name).private, { throwIfNoEntry: false })?.isFile() === true) return;
      const v = hostSwapVerdict();
      if (v.state === 'unencrypted') {
        c.log.warn({ qube: name }, v.warning);
        throw new BulkheadError('ERR_SWAP', `cannot start amnesic disposable '${name}': ${v.refusal}`);
      }
      if (v.state === 'ram-or-encrypted') c.log.warn({ qube: name }, v.warning);
    },
  };
}
