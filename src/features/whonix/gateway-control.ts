// The admin side's own line to tor's ControlPort inside a gateway: a one-connection socat bridge from the gateway's namespace to a root-only socket.
import { waitUntil } from '../../exec/index.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BulkheadError } from '../../errors/index.js';
import { TorControl } from '../../tor-control/index.js';
import { TOR_CONTROL_PORT } from '../../gateway/index.js';
import type { DaemonContext } from '../../daemon/context.js';
import { runtimeId } from '../../daemon/lifecycle/spec.js';
import { qubeNetns } from '../network/names.js';
import { readControlPassword, whonixDir } from './files.js';

/** Longest reply the admin side accepts from a gateway's control port (characters). */
export const MAX_GATEWAY_REPLY = 4 * 1024 * 1024;

export interface GatewayControlTarget {
  /** The gateway's network namespace (tor's ControlPort listens on its loopback). */
  netns: string;
  /** The admin's control password of this gateway start (nothing is read from the gateway's files). */
  password: string;
  /** A root-only directory for the bridge's socket. */
  socketDir: string;
  port?: number;
  timeoutMs?: number;
}

export interface GatewayControl {
  tor: TorControl;
  close(): void;
}

/** Open an authenticated control connection to the gateway's tor; close() ends the bridge. */
export async function openGatewayControl(t: GatewayControlTarget): Promise<GatewayControl> {
  await mkdir(t.socketDir, { recursive: true, mode: 0o700 });
  const sock = join(t.socketDir, `ctl-${randomBytes(4).toString('hex')}.sock`);
  const bridge: ChildProcess = spawn(
    'ip',
    ['netns', 'exec', t.netns, 'socat', `UNIX-LISTEN:${sock},mode=600,unlink-early`, `TCP:127.0.0.1:${t.port ?? TOR_CONTROL_PORT}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  bridge.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const end = () => {
    if (bridge.exitCode === null && bridge.signalCode === null) bridge.kill('SIGTERM');
    void rm(sock, { force: true });
  };
  try {
    await waitUntil(`control bridge into ${t.netns}`, { timeoutMs: t.timeoutMs ?? 10_000, intervalMs: 20 }, async () => {
      if (bridge.exitCode !== null) throw new BulkheadError('ERR_NETWORK', `control bridge into ${t.netns} exited: ${err.trim()}`);
      return (
        (await stat(sock).then(
          () => true,
          () => false,
        )) || undefined
      );
    });
    // Whatever answers on tor's port is inside the gateway: its replies are bounded.
    const tor = await TorControl.open({ target: { path: sock }, password: t.password, timeoutMs: t.timeoutMs ?? 10_000, maxReply: MAX_GATEWAY_REPLY });
    return {
      tor,
      close: () => {
        tor.close();
        end();
      },
    };
  } catch (e) {
    end();
    throw e;
  }
}

/** The control line of a running gateway qube of this daemon. */
export async function gatewayControl(ctx: DaemonContext, gateway: string): Promise<GatewayControl> {
  const inst = await ctx.runtime.state(runtimeId(ctx, gateway));
  if (!inst || inst.status !== 'running') throw new BulkheadError('ERR_QUBE_NOT_RUNNING', `gateway '${gateway}' is not running`);
  return openGatewayControl({
    netns: qubeNetns(ctx, gateway),
    password: await readControlPassword(ctx, gateway),
    socketDir: join(whonixDir(ctx, gateway), 'ctl'),
  });
}
