// Contract of the broker's routes: pending asks and their answers, the global clipboard, the policy's state.
import { z } from 'zod';
import { route } from './route.js';
import { count } from './common.js';

export const pendingAsk = z.object({
  id: z.string(),
  source: z.string(),
  /** The target the caller asked for ('' = @default). */
  target: z.string(),
  service: z.string(),
  argument: z.string(),
  candidates: z.array(z.string()),
  defaultTarget: z.string().nullable(),
  createdAt: z.string(),
  expiresAt: z.string(),
});
export type PendingAsk = z.infer<typeof pendingAsk>;
export const askParams = z.object({ id: z.string().regex(/^[0-9a-f]{1,32}$/) }).strict();
export const answerBody = z.object({ answer: z.enum(['allow', 'deny']), target: z.string().min(1).max(64).optional() }).strict();
export const clipboardBody = z.object({ qube: z.string().min(1).max(64) }).strict();
const clip = z.object({ source: z.string(), bytes: count });
export const policyProblem = z.object({ file: z.string(), line: z.number().int(), message: z.string() });
export const policyStatus = z.object({
  /** What calls are decided with now. */
  state: z.enum(['loaded', 'last-good', 'denying']),
  rules: z.number().int(),
  /** Errors of the latest load (kept even while the last good policy decides). */
  errors: z.array(policyProblem),
});
export type PolicyStatus = z.infer<typeof policyStatus>;

export const rpcRoutes = {
  'rpc.pending': route({
    method: 'GET',
    path: '/rpc/pending',
    summary: 'Calls waiting for an answer',
    kind: 'json',
    reply: z.object({ pending: z.array(pendingAsk) }),
  }),
  'rpc.answer': route({
    method: 'POST',
    path: '/rpc/pending/:id',
    summary: 'Answer a pending call',
    kind: 'json',
    params: askParams,
    body: answerBody,
    reply: z.object({ id: z.string(), answer: z.enum(['allow', 'deny']), target: z.string().nullable() }),
  }),
  'rpc.policy': route({ method: 'GET', path: '/rpc/policy', summary: "The policy's state", kind: 'json', reply: policyStatus.extend({ ok: z.boolean() }) }),
  'clipboard.status': route({
    method: 'GET',
    path: '/clipboard',
    summary: 'What the global clipboard holds',
    kind: 'json',
    reply: z.object({ source: z.string().nullable(), bytes: count }),
  }),
  'clipboard.copy': route({
    method: 'POST',
    path: '/clipboard/copy',
    summary: "Copy a qube's clipboard to the global one",
    kind: 'json',
    body: clipboardBody,
    reply: clip,
  }),
  'clipboard.paste': route({
    method: 'POST',
    path: '/clipboard/paste',
    summary: 'Paste the global clipboard into a qube',
    kind: 'json',
    body: clipboardBody,
    reply: clip,
  }),
} as const;
