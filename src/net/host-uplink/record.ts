// What a running sys-net's host uplink changed on the host side, kept in the run directory so its stop (also after a daemon restart) gives everything back.
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { readTextIfExists } from '../../storage/fsops.js';

const addr = z.object({ local: z.string(), prefixlen: z.number().int(), broadcast: z.string().optional() }).strict();
const route = z
  .object({
    dst: z.string(),
    gateway: z.string().optional(),
    metric: z.number().int().optional(),
    prefsrc: z.string().optional(),
    scope: z.string().optional(),
    protocol: z.string().optional(),
  })
  .strict();

const exclusive = z
  .object({
    mode: z.literal('exclusive'),
    qube: z.string(),
    hostNetns: z.string().nullable(),
    nic: z.string(),
    mac: z.string(),
    /** The NIC's state, addresses and routes on the host before it moved, restored when it comes back. */
    wasUp: z.boolean(),
    mtu: z.number().int().optional(),
    addrs: z.array(addr),
    routes: z.array(route),
  })
  .strict();
const nat = z
  .object({
    mode: z.literal('nat'),
    qube: z.string(),
    hostNetns: z.string().nullable(),
    nic: z.string(),
    veth: z.string(),
    sysNetAddr: z.string(),
    hostAddr: z.string(),
  })
  .strict();
export const uplinkRecord = z.discriminatedUnion('mode', [exclusive, nat]);
export type UplinkRecord = z.infer<typeof uplinkRecord>;
export type ExclusiveRecord = z.infer<typeof exclusive>;
export type NatRecord = z.infer<typeof nat>;
export type SavedRoute = z.infer<typeof route>;

/** ip_forward of the host side before the first nat uplink turned it on. */
const forward = z.object({ hostNetns: z.string().nullable(), previous: z.string().regex(/^[01]$/) }).strict();
export type ForwardRecord = z.infer<typeof forward>;

/** Where a state directory keeps its uplink records, and the prefix its kernel objects carry. */
export interface UplinkPaths {
  runDir: string;
  prefix: string;
}

/** The directory of a state directory's uplink records (RUN/uplink). */
export function uplinkRecordDir(runDir: string): string {
  return join(runDir, 'uplink');
}

function dir(ctx: UplinkPaths): string {
  return uplinkRecordDir(ctx.runDir);
}

async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFile(`${file}.tmp`, JSON.stringify(value) + '\n', { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}

export async function saveRecord(ctx: UplinkPaths, r: UplinkRecord): Promise<void> {
  await mkdir(dir(ctx), { recursive: true, mode: 0o700 });
  await writeJson(join(dir(ctx), `q-${r.qube}.json`), r);
}

export async function readRecord(ctx: UplinkPaths, qube: string): Promise<UplinkRecord | null> {
  const text = await readTextIfExists(join(dir(ctx), `q-${qube}.json`));
  return text === null ? null : uplinkRecord.parse(JSON.parse(text));
}

export async function dropRecord(ctx: UplinkPaths, qube: string): Promise<void> {
  await rm(join(dir(ctx), `q-${qube}.json`), { force: true });
}

/** Every record (the uplinks of running sys-nets). */
export async function allRecords(ctx: UplinkPaths): Promise<UplinkRecord[]> {
  const names = await readdir(dir(ctx)).catch(() => [] as string[]);
  const out: UplinkRecord[] = [];
  for (const n of names.filter((x) => x.startsWith('q-') && x.endsWith('.json'))) {
    const r = await readRecord(ctx, n.slice(2, -5)).catch(() => null);
    if (r) out.push(r);
  }
  return out;
}

export async function readForward(ctx: UplinkPaths): Promise<ForwardRecord | null> {
  const text = await readTextIfExists(join(dir(ctx), 'forward.json'));
  return text === null ? null : forward.parse(JSON.parse(text));
}

export async function saveForward(ctx: UplinkPaths, f: ForwardRecord): Promise<void> {
  await mkdir(dir(ctx), { recursive: true, mode: 0o700 });
  await writeJson(join(dir(ctx), 'forward.json'), f);
}

export async function dropForward(ctx: UplinkPaths): Promise<void> {
  await rm(join(dir(ctx), 'forward.json'), { force: true });
}
