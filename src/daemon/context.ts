// Everything a daemon action needs, passed explicitly: state, runtime, storage, paths, events, logger.
import type { Logger } from 'pino';
import type { Runtime } from '../runtime/types.js';
import type { StateStore } from '../state/index.js';
import type { AdminEvents } from './events.js';
import type { KeyedLock } from './locks.js';
import type { Paths } from './paths.js';

/** Hooks that optional features (network, gateway, RPC) register; the core never imports them. */
export interface QubeHooks {
  /** Before the runtime starts a qube: may veto by throwing, may return a netns path and extra mounts. */
  preStart?: (
    ctx: DaemonContext,
    name: string,
  ) => Promise<{
    netnsPath?: string | null;
    mounts?: { source: string; destination: string; readonly: boolean }[];
    env?: Record<string, string>;
    extraCaps?: string[];
    hostname?: string;
  } | void>;
  /** After the qube's init runs. */
  postStart?: (ctx: DaemonContext, name: string, pid: number) => Promise<void>;
  /** After the qube stopped (also after a crash or kill). */
  postStop?: (ctx: DaemonContext, name: string) => Promise<void>;
  /** A property changed on a qube (running or not). */
  propertyChanged?: (ctx: DaemonContext, name: string, key: string) => Promise<void>;
  /** The daemon starts (after reconciliation). */
  daemonStart?: (ctx: DaemonContext) => Promise<void>;
  daemonStop?: (ctx: DaemonContext) => Promise<void>;
}

export interface DaemonContext {
  paths: Paths;
  /** Unique prefix of every kernel object this state directory owns (crun ids, netns, nft tables). */
  prefix: string;
  store: StateStore;
  runtime: Runtime;
  events: AdminEvents;
  locks: KeyedLock;
  log: Logger;
  hooks: QubeHooks[];
  /** First uid slot of this state directory; a qube's uid base is (slot + qid) * 65536. */
  uidSlotBase: number;
}

export const UID_RANGE = 65536;

export function uidBaseOf(ctx: DaemonContext, qid: number): number {
  return (ctx.uidSlotBase + qid) * UID_RANGE;
}
