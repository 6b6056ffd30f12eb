// The display hub of a daemon: one relay per qube whose display runs, its agent started through the exec path (the API and the dashboard use it).
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import type { DaemonContext } from '../../daemon/context.js';
import { isRunning, startQube } from '../../daemon/lifecycle/power.js';
import { runtimeId } from '../../daemon/lifecycle/spec.js';
import { cleanText } from '../../desktop/protocol/index.js';
import { BulkheadError } from '../../errors/index.js';
import { LABELS, isLabel } from '../../model/index.js';
import { IN_QUBE } from '../rpc/broker/in-qube.js';
import { DisplayRelay, type Attachment, type DisplayClient } from './relay.js';

export type { DisplayClient, Attachment } from './relay.js';

/** The agent inside the qube: it runs Xvfb :0 and speaks the display protocol on its stdio. */
export const AGENT_PATH = `${IN_QUBE.bin}/bulkhead-display-agent`;
/** How long a display may take to say HELLO (Xvfb up) before ensure() gives up. */
const READY_MS = 20_000;
/** Stderr of an agent kept for the log (bounded: the qube writes it). */
const STDERR_KEEP = 4096;

export interface DisplayInfo {
  qube: string;
  label: string;
  colour: string;
}

export interface DisplayHub {
  list(): DisplayInfo[];
  /** Starts the qube (if needed), its display and agent; resolves when the display is up. Idempotent. */
  ensure(qube: string): Promise<void>;
  /** Whether the qube's display runs. */
  has(qube: string): boolean;
  attach(qube: string, client: DisplayClient): Attachment;
  /** Ends the qube's display (its agent and Xvfb), closing its clients with the reason. */
  stop(qube: string, reason: string): void;
}

interface Running {
  relay: DisplayRelay;
  child: ChildProcessWithoutNullStreams;
}

const hubs = new WeakMap<DaemonContext, DisplayHub>();

/** The label colour of a qube as 0xRRGGBB, from the daemon's state (never from the qube). */
export function colourOf(ctx: DaemonContext, qube: string): number {
  const label = ctx.store.system().qubes.get(qube)?.label;
  return parseInt((isLabel(label) ? LABELS[label].color : LABELS.red.color).slice(1), 16);
}

export function displayHub(ctx: DaemonContext): DisplayHub {
  const known = hubs.get(ctx);
  if (known) return known;
  const running = new Map<string, Running>();
  const starting = new Map<string, Promise<void>>();

  const launch = (qube: string): Running => {
    const child = ctx.runtime.exec(runtimeId(ctx, qube), [AGENT_PATH], { user: 'user', env: { BULKHEAD_SCREEN: '1920x1080' } });
    let stderr = '';
    const relay = new DisplayRelay(qube, () => colourOf(ctx, qube), {
      write: (bytes) => {
        if (child.stdin.writable) child.stdin.write(bytes);
      },
      stop: () => {
        child.stdin.destroy();
        child.stdout.destroy();
        child.kill('SIGKILL');
      },
    });
    const r = { relay, child };
    running.set(qube, r);
    child.stdin.on('error', () => undefined);
    child.stdout.on('data', (d: Buffer) => relay.fromAgent(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)));
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString('utf8')).slice(-STDERR_KEEP);
    });
    child.on('error', (e) => relay.end(`the display agent did not start: ${e.message}`));
    child.on('close', (code, sig) => {
      // The agent's last words (qube-written: cleaned and cut) say why, e.g. a template without Xvfb.
      const last = cleanText(new TextEncoder().encode(stderr.trim().split('\n').pop() ?? '')).slice(0, 200);
      relay.agentEnded(`the display agent exited (${sig ?? code})${last ? `: ${last}` : ''}`);
      if (running.get(qube) === r) running.delete(qube);
      const reason = relay.endReason ?? 'ended';
      if (reason.startsWith('ERR_')) ctx.log.warn({ qube, reason, stderr }, 'display ended on a fault');
      else ctx.log.info({ qube, reason, stderr }, 'display ended');
      ctx.events.emit('display-stopped', { qube, reason });
    });
    return r;
  };

  const hub: DisplayHub = {
    list() {
      return [...running.values()]
        .filter((r) => r.relay.table.screen)
        .map(({ relay }) => {
          const label = ctx.store.system().qubes.get(relay.qube)?.label ?? 'red';
          return { qube: relay.qube, label, colour: `#${colourOf(ctx, relay.qube).toString(16).padStart(6, '0')}` };
        });
    },
    has: (qube) => running.has(qube),
    async ensure(qube) {
      ctx.store.requireQube(qube);
      const r = running.get(qube);
      if (r) return r.relay.ready();
      const pending = starting.get(qube);
      if (pending) return pending;
      const p = (async () => {
        if (!isRunning(ctx, qube)) await startQube(ctx, qube);
        const { relay } = running.get(qube) ?? launch(qube);
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            relay.ready(),
            new Promise<never>((_, fail) => {
              timer = setTimeout(() => fail(new BulkheadError('ERR_TIMEOUT', `the display of '${qube}' did not start within ${READY_MS / 1000} s`)), READY_MS);
            }),
          ]);
        } catch (e) {
          relay.end(e instanceof Error ? e.message : String(e));
          throw e;
        } finally {
          clearTimeout(timer);
        }
        // HELLO and a fault may come in one read: a display that already ended did not start.
        if (relay.endReason)
          throw new BulkheadError(relay.endReason.startsWith('ERR_DISPLAY_PROTOCOL') ? 'ERR_DISPLAY_PROTOCOL' : 'ERR_RUNTIME', relay.endReason);
        ctx.store.audit('admin', 'display-started', qube, {});
        ctx.events.emit('display-started', { qube });
      })().finally(() => starting.delete(qube));
      starting.set(qube, p);
      return p;
    },
    attach(qube, client) {
      const r = running.get(qube);
      if (!r) throw new BulkheadError('ERR_QUBE_NOT_RUNNING', `the display of '${qube}' is not running (POST /qubes/${qube}/display)`);
      return r.relay.attach(client);
    },
    stop(qube, reason) {
      running.get(qube)?.relay.end(reason);
    },
  };
  hubs.set(ctx, hub);
  return hub;
}
