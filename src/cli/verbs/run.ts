// Verb run: a command in a qube or a new disposable, stdin/stdout/stderr passed through, exit code returned.
import { Readable, type Duplex } from 'node:stream';
import { encodeData, encodeEof, FrameReader, FrameType, payload, StreamId } from '../../features/rpc/frame.js';
import { apiClient } from '../client.js';
import { requestPath, routes } from '../../contract/index.js';
import { EXEC_UPGRADE, type ExecParams } from '../../contract/system.js';

export interface RunOptions {
  user?: string;
  dispvm?: string | boolean;
  autostart?: boolean;
  /** An application of the qube's template by its id or Name (`bulkhead apps QUBE`), instead of a command. */
  app?: string;
}

/** Opens an exec connection (the admin API upgraded to framed stdio) for a qube or a new disposable. */
export async function execRequest(path: string, params: ExecParams): Promise<{ socket: Duplex; qube: string }> {
  const { socket, headers } = await apiClient().upgrade(path, {
    upgrade: EXEC_UPGRADE,
    'x-bulkhead-exec': Buffer.from(JSON.stringify(params)).toString('base64'),
  });
  return { socket, qube: String(headers['x-bulkhead-qube'] ?? '') };
}

/** Pump local stdio through the framed connection; resolves with the remote exit code. */
export function pumpStdio(socket: Duplex, stdin: NodeJS.ReadableStream, stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): Promise<number> {
  return new Promise((resolve, reject) => {
    const reader = new FrameReader();
    let code: number | null = null;
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const f of reader.push(chunk)) {
          if (f.type === FrameType.STDOUT) stdout.write(f.payload);
          else if (f.type === FrameType.STDERR) stderr.write(f.payload);
          else if (f.type === FrameType.EXIT) code = payload.exit(f);
        }
      } catch (e) {
        reject(e);
      }
    });
    socket.on('close', () => {
      stdin.unpipe?.();
      if (code === null) reject(new Error('the connection to the qube ended without an exit code'));
      else resolve(code);
    });
    socket.on('error', () => undefined);
    stdin.on('data', (d: Buffer) => {
      for (const fr of encodeData(FrameType.STDIN, d)) socket.write(fr);
    });
    stdin.on('end', () => socket.write(encodeEof(StreamId.STDIN)));
    stdin.on('error', () => socket.write(encodeEof(StreamId.STDIN)));
  });
}

export async function runVerb(name: string | undefined, cmd: string[], o: RunOptions): Promise<{ stdout: string; exitCode: number }> {
  // `run QUBE --app NAME` (the documented order): options after QUBE pass through to the command's words.
  if (o.app === undefined && cmd[0] === '--app' && cmd.length === 2) o = { ...o, app: cmd[1] };
  if (o.app !== undefined && cmd[0] === '--app') cmd = cmd.slice(2);
  let argv = cmd[0] === '--' ? cmd.slice(1) : cmd;
  let path: string;
  const params: Omit<ExecParams, 'argv'> = {};
  if (o.dispvm !== undefined && o.dispvm !== false) {
    // `run --dispvm [TEMPLATE] -- CMD`: commander puts a lone TEMPLATE into `name`.
    if (typeof o.dispvm === 'string') params.template = o.dispvm;
    if (name !== undefined && name !== '--') argv = [name, ...argv];
    path = requestPath(routes['dispvms.exec'], {});
  } else {
    if (!name) throw new Error('run: give a qube name, or --dispvm');
    path = requestPath(routes['qubes.exec'], { params: { name } });
    if (o.app !== undefined) {
      if (argv.length) throw new Error('run: give either --app or a command, not both');
      argv = await appArgv(name, o.app);
    }
    // With a display of the admin's own, the qube's windows are shown on it: the qube gets its display :0.
    // A qube whose template has no display (sys-net, a gateway) still runs the command, without one.
    if (process.env.DISPLAY || process.env.WAYLAND_DISPLAY) {
      try {
        params.env = { DISPLAY: await showDisplay(name, o.autostart !== false) };
      } catch (e) {
        if (/is not running/.test((e as Error).message) && o.autostart === false) throw e;
        process.stderr.write(`bulkhead: no display in '${name}' (${(e as Error).message}); running without one\n`);
      }
    }
  }
  if (!argv.length) throw new Error('run: give the command after --');
  if (o.user) params.user = o.user;
  if (o.autostart === false) params.noAutostart = true;
  const { socket } = await execRequest(path, { ...params, argv });
  const stdin = process.stdin.isTTY ? emptyStream() : process.stdin;
  const code = await pumpStdio(socket, stdin, process.stdout, process.stderr);
  if (stdin !== process.stdin) stdin.destroy();
  else process.stdin.destroy();
  return { stdout: '', exitCode: code };
}

function emptyStream(): Readable {
  // A terminal is not forwarded (no pty): the command sees an empty stdin.
  return Readable.from([]);
}

/** The argv of an application of the qube's template (field codes already removed by the daemon's parser). */
async function appArgv(qube: string, wanted: string): Promise<string[]> {
  const { findApp } = await import('../../features/desktop/desktop-entry.js');
  const r = await apiClient().call('qubes.apps', { params: { name: qube } });
  const app = findApp(r.apps, wanted);
  if (!app) throw new Error(`run: '${qube}' has no application '${wanted}' (see bulkhead apps ${qube})`);
  return app.argv;
}

/** Starts the qube's display and the admin-side window service for this session; the display the command gets. */
async function showDisplay(qube: string, autostart: boolean): Promise<string> {
  if (!autostart) {
    const q = await apiClient().call('qubes.get', { params: { name: qube } });
    if (q.state !== 'running') throw new Error(`'${qube}' is not running`);
  }
  const r = await apiClient().call('qubes.display', { params: { name: qube } });
  // The admin-side window service for this session's display (one per display, started once).
  if (process.env.DISPLAY) {
    try {
      const { ensureWindowService } = await import('../../desktop/index.js');
      await ensureWindowService(process.env.DISPLAY);
    } catch (e) {
      process.stderr.write(`bulkhead: the window service for ${process.env.DISPLAY} did not start (${(e as Error).message})\n`);
    }
  }
  return r.display;
}
