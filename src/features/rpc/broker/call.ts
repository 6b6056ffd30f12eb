// One call from a qube: decide by policy (asking if needed), find or make the target, join the two ends, audit everything.
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { DaemonContext } from '../../../daemon/context.js';
import { createDisposable, destroyDisposable } from '../../../daemon/lifecycle/dispvm.js';
import { isRunning, startQube } from '../../../daemon/lifecycle/power.js';
import { dispvmRefusal, effective } from '../../../model/index.js';
import { evaluate, splitServiceArgument, type Decision } from '../../../policy/index.js';
import { encodeData, encodeEof, encodeError, encodeExit, FrameType, StreamId, type Frame } from '../frame.js';
import { adminService } from './admin-services.js';
import type { AgentRegistry } from './agents.js';
import type { AskRegistry } from './asks.js';
import type { AuditBatcher } from './audit.js';
import type { DispvmQuota, DispvmTicket } from './dispvm-limit.js';
import type { PolicySource } from './policy-source.js';
import { relay } from './relay.js';
import { BULK_SERVICES, relayBulk } from './relay-bulk.js';
import { policySnapshot } from './snapshot.js';
import { boundAuditDetail } from '../../../state/index.js';

/** Exit code of a refused call, as in Qubes. */
export const REFUSED = 126;
const DEFAULT_USER = 'user';

export interface CallDeps {
  ctx: DaemonContext;
  policy: PolicySource;
  agents: AgentRegistry;
  asks: AskRegistry;
  /** Longest wait for an answer to an ask, in ms (also bounded by the source's qrexec_timeout). */
  askTimeoutMs: number;
  audit: AuditBatcher;
  /** Disposables per source qube (max_dispvms_per_qube). */
  dispvms: DispvmQuota;
  /** Hooks run once a disposable exists, before the service in it starts. */
  onDispvm?: readonly ((source: string, target: string) => Promise<void>)[];
}

export interface CallRequest {
  source: string;
  target: string;
  /** `SERVICE[+ARG]` as the caller wrote it. */
  call: string;
}

/** Parses the CALL frame: TARGET NUL SERVICE; further NUL-separated fields are ignored (and audited). */
export function parseCall(f: Frame): { target: string; call: string; ignored: string[] } | null {
  if (f.type !== FrameType.CALL) return null;
  const parts = f.payload.toString('utf8').split('\0');
  if (parts.length < 2) return null;
  return { target: parts[0]!, call: parts[1]!, ignored: parts.slice(2) };
}

function qrexecTimeoutMs(ctx: DaemonContext, name: string): number {
  const q = ctx.store.getQube(name);
  const v = q ? effective(q, 'qrexec_timeout', ctx.store.system()) : 60;
  return (typeof v === 'number' ? v : 60) * 1000;
}

function refuse(caller: Socket, why: string): void {
  caller.end(encodeError(REFUSED, why));
}

/** Decision after an ask was answered: allow to the chosen target with the ask rule's options, or deny. */
async function settleAsk(d: CallDeps, req: CallRequest, service: string, argument: string, dec: Decision, caller: Socket): Promise<Decision> {
  const timeoutMs = Math.min(d.askTimeoutMs, qrexecTimeoutMs(d.ctx, req.source));
  const { id, answer } = d.asks.ask(
    {
      source: req.source,
      target: req.target,
      service,
      argument,
      candidates: [...dec.candidates],
      defaultTarget: dec.default_target,
    },
    timeoutMs,
  );
  const onGone = () => d.asks.cancel(id);
  caller.once('close', onGone);
  const a = await answer;
  caller.off('close', onGone);
  d.audit.add('admin', 'rpc-ask-answered', req.source, { id, service, argument, answer: a });
  if (a.answer === 'deny') return { ...dec, result: 'deny', reason: `ask ${id}: ${a.reason}` };
  return { ...dec, result: 'allow', target: a.target, reason: `ask ${id} allowed by the admin (${dec.rule})` };
}

/** A slot under max_dispvms_per_qube for a disposable `source` asked for; throws (refusing the call) at the limit. */
function takeDispvmSlot(d: CallDeps, source: string): DispvmTicket {
  return d.dispvms.acquire(source, d.ctx.store.system());
}

export async function handleCall(d: CallDeps, req: CallRequest, caller: Socket, callerRest: Buffer, ignored: string[]): Promise<void> {
  const { ctx } = d;
  const id = randomBytes(6).toString('hex');
  const { service, argument } = splitServiceArgument(req.call);
  const full = `${service}${argument === '+' ? '' : argument}`;
  let dec = evaluate(d.policy.get(), policySnapshot(ctx.store), { source: req.source, target: req.target, service, argument });
  // No usable policy: say why (policy.d missing, unreadable, or its errors), not only that it failed.
  const denial = dec.result === 'deny' ? d.policy.denial() : null;
  if (denial) dec = { ...dec, reason: denial };
  const base = { id, source: req.source, requested: req.target, service, argument };
  const logged = d.audit.add('rpc', 'rpc-decision', req.source, {
    ...base,
    result: dec.result,
    target: dec.target,
    rule: dec.rule,
    reason: dec.reason,
    ...(ignored.length ? { ignoredFields: ignored } : {}),
  });
  if (dec.result === 'ask') {
    dec = await settleAsk(d, req, service, argument, dec, caller);
  }
  // The Tor rule overrides any policy or ask answer: an anonymous caller is denied a clearnet disposable, never redirected.
  const offTor =
    dec.result === 'allow' && dec.target?.startsWith('@dispvm:') ? dispvmRefusal(ctx.store.system(), req.source, dec.target.slice('@dispvm:'.length)) : null;
  if (offTor) {
    d.audit.add('rpc', 'rpc-denied-off-tor', req.source, { ...base, target: dec.target, rule: dec.rule, reason: offTor });
    dec = { ...dec, result: 'deny', reason: offTor };
  }
  ctx.events.emit('rpc-decided', { id, result: dec.result, source: req.source, target: dec.target ?? req.target, service: full });
  if (dec.result !== 'allow' || !dec.target) {
    // Caller-chosen fields, cut like the audit row; over the source's audit rate, no log line either.
    if (logged) ctx.log.info(boundAuditDetail(ctx.store.redactAudit('rpc-refused', req.source, { ...base, reason: dec.reason })), 'rpc call refused');
    refuse(caller, dec.reason);
    return;
  }

  let target = dec.target;
  let disposable = false;
  let ticket: DispvmTicket | undefined;
  try {
    if (target === 'dom0') {
      const r = adminService(ctx.store, req.source, service, argument);
      const frames = [
        ...encodeData(FrameType.STDOUT, r.stdout),
        ...encodeData(FrameType.STDERR, Buffer.from(r.stderr ?? '')),
        encodeEof(StreamId.STDOUT),
        encodeEof(StreamId.STDERR),
        encodeExit(r.code),
      ];
      caller.end(Buffer.concat(frames));
      d.audit.add('rpc', 'rpc-call-end', req.source, { ...base, target, exit: r.code, end: 'exit' });
      return;
    }
    if (target.startsWith('@dispvm:')) {
      ticket = takeDispvmSlot(d, req.source);
      target = await createDisposable(ctx, { template: target.slice('@dispvm:'.length), caller: req.source });
      disposable = true;
      ticket.made(target);
      d.audit.add('rpc', 'rpc-dispvm', req.source, { ...base, target });
      for (const h of d.onDispvm ?? []) await h(req.source, target);
    } else if (!isRunning(ctx, target)) {
      if (dec.autostart === false) throw new Error(`'${target}' is not running and autostart=no`);
      await startQube(ctx, target);
    }
    const conn = await d.agents.open(target, { source: req.source, service: full, user: dec.user ?? DEFAULT_USER }, qrexecTimeoutMs(ctx, target));
    const res = BULK_SERVICES.has(service) ? await relayBulk(caller, callerRest, conn.sock, conn.rest) : await relay(caller, callerRest, conn.sock, conn.rest);
    d.audit.add('rpc', 'rpc-call-end', req.source, { ...base, target, exit: res.exit, end: res.end, bytesIn: res.bytesIn, bytesOut: res.bytesOut });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    ctx.log.warn(boundAuditDetail(ctx.store.redactAudit('rpc-failed', req.source, { ...base, target, err: msg })), 'rpc call failed');
    d.audit.add('rpc', 'rpc-call-end', req.source, { ...base, target, exit: null, end: 'failed', reason: msg });
    if (!caller.destroyed) refuse(caller, msg);
  } finally {
    if (disposable) {
      await destroyDisposable(ctx, target).catch((e: unknown) => ctx.log.error({ err: e, qube: target }, 'rpc: disposable removal failed'));
    }
    ticket?.release();
  }
}
