// Runs many `ip` commands in one process (`ip -batch -`), optionally inside a named namespace.
import { run } from '../exec/index.js';
import { checkNetnsName } from './names.js';

/** Run `lines` (each an `ip` command without the leading `ip`) in one process; fails on the first error unless `force`. */
export async function ipBatch(lines: readonly string[], opts: { netns?: string; force?: boolean; json?: boolean; details?: boolean } = {}): Promise<string> {
  if (lines.length === 0) return '';
  const args: string[] = [];
  if (opts.netns !== undefined) args.push('-n', checkNetnsName(opts.netns));
  if (opts.json) args.push('-j');
  if (opts.details) args.push('-d');
  if (opts.force) args.push('-force');
  args.push('-batch', '-');
  const res = await run('ip', args, { input: lines.join('\n') + '\n', timeoutMs: 30_000, allowFail: opts.force });
  return res.stdout;
}

/** Split the output of a JSON batch: one JSON array per command, each ended by a newline. */
export function splitJsonBatch(out: string): unknown[][] {
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as unknown[]);
}
