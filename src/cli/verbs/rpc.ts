// Verbs `rpc pending`, `rpc answer` (asks of the RPC policy) and `clipboard copy|paste` (the global clipboard).
import { apiClient } from '../client.js';
import { table } from '../output.js';

export async function rpcPending(o: { json?: boolean }): Promise<string> {
  const { pending } = await apiClient().call('rpc.pending');
  if (o.json) return JSON.stringify(pending, null, 2) + '\n';
  if (pending.length === 0) return 'no pending RPC asks\n';
  return table(
    pending.map((p) => [
      p.id,
      p.source,
      `${p.service}${p.argument === '+' ? '' : p.argument}`,
      p.target || '@default',
      p.candidates.join(','),
      p.defaultTarget ?? '-',
      p.expiresAt,
    ]),
    ['ID', 'SOURCE', 'SERVICE', 'REQUESTED', 'CANDIDATES', 'DEFAULT', 'EXPIRES'],
  );
}

export async function rpcAnswer(id: string, answer: string, o: { target?: string }): Promise<string> {
  if (answer !== 'allow' && answer !== 'deny') throw new Error(`rpc answer: say allow or deny, not '${answer}'`);
  if (answer === 'deny' && o.target) throw new Error('rpc answer: --target goes with allow');
  const r = await apiClient().call('rpc.answer', { params: { id }, body: { answer, ...(o.target ? { target: o.target } : {}) } });
  return r.answer === 'allow' ? `allowed ${r.id} to ${r.target}\n` : `denied ${r.id}\n`;
}

export async function clipboardVerb(action: string, qube: string): Promise<string> {
  if (action !== 'copy' && action !== 'paste') throw new Error(`clipboard: say copy or paste, not '${action}'`);
  const r = await apiClient().call(`clipboard.${action}`, { body: { qube } });
  return action === 'copy' ? `copied ${r.bytes} bytes from ${r.source}\n` : `pasted ${r.bytes} bytes from ${r.source} into ${qube}\n`;
}
