// What a gateway needs to know of the lab's private Tor network (written by `lab up`, read at gateway start).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { BulkheadError } from '../../errors/index.js';
import type { DaemonContext } from '../../daemon/context.js';
import { labStateDir, TOR_INFO_FILE } from '../../lab/files.js';

export const labTorInfo = z
  .object({
    dirAuthorityLines: z.array(z.string()).min(1),
    bridgeLine: z.string(),
    onionAddress: z.string(),
    netns: z.string(),
    exitAddresses: z.array(z.string()),
  })
  .strict();
export type LabTorInfo = z.infer<typeof labTorInfo>;

export function labTorFile(home: string): string {
  return join(labStateDir(home), TOR_INFO_FILE);
}

export async function readLabTor(ctx: DaemonContext): Promise<LabTorInfo> {
  let text: string;
  try {
    text = await readFile(labTorFile(ctx.paths.home), 'utf8');
  } catch {
    throw new BulkheadError(
      'ERR_NETWORK',
      "the lab's Tor network is not up (bulkhead lab up); a gateway never starts tor without the lab's own directory authorities",
    );
  }
  return labTorInfo.parse(JSON.parse(text));
}
