// Shared set-up of the RPC integration tests: a daemon with a template, qubes, a test policy, and a raw frame client.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { encodeCall, encodeData, encodeEof, encodeFrame, FrameReader, FrameType, payload, StreamId } from '../../src/features/rpc/frame.js';
import { CLI, testDaemon, type TestDaemon } from './helpers/daemon.js';
import { installTestPolicy } from './helpers/policy.js';
import { TEST_TARBALL as TEMPLATE_TAR } from '../support/cache.js';

export { TEMPLATE_TAR };

/** Local rules that sort before the shipped policy (copied beside them into policy.d). */
export const TEST_POLICY = `# test rules
bulkhead.Echo       *  @anyvm  @anyvm   allow
test.Sink           *  @anyvm  @anyvm   allow
bulkhead.WhoAmI     *  @anyvm  @dispvm  allow
bulkhead.WhoAmI     *  work    @default allow target=personal
bulkhead.WhoAmI     *  @anyvm  @anyvm   allow
qubes.Filecopy      *  @anyvm  vault    deny
qubes.Filecopy      *  work    personal allow
qubes.Filecopy      *  work    other    ask default_target=other
qubes.ClipboardPaste * @anyvm  vault    deny
qubes.ClipboardPaste * @anyvm  @anyvm   allow
qubes.ConnectTCP    +8123  work  personal allow
`;

export interface RpcWorld {
  d: TestDaemon;
  /** The host path of a qube's broker socket. */
  socketOf(qube: string): string;
  /** The host path of a qube's agent socket. */
  agentSocketOf(qube: string): string;
  /** Host ids of a qube's root (its uid base): what a process in the qube connects as. */
  rootOf(qube: string): Ids;
}

/** Host credentials a test process takes to connect like a qube or a host user would. */
export interface Ids {
  uid: number;
  gid: number;
  groups?: number[];
}

export const NOBODY: Ids = { uid: 65534, gid: 65534 };

/** The uid base of `qube` (state db: (uid_slot_base + qid) * 65536). */
export async function uidBaseOf(home: string, qube: string): Promise<number> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(join(home, 'state.db'), { readonly: true });
  try {
    const slot = JSON.parse((db.prepare("SELECT value FROM globals WHERE key = 'uid_slot_base'").get() as { value: string }).value) as number;
    const qid = (db.prepare('SELECT qid FROM qubes WHERE name = ?').get(qube) as { qid: number }).qid;
    return (Number(slot) + qid) * 65536;
  } finally {
    db.close();
  }
}

/** A qube's socket: under sockets/ (the directory mounted into the qube), or directly in run/rpc/NAME/ as older daemons made it. */
function rpcSocket(home: string, qube: string, name: string): string {
  const nested = join(home, 'run', 'rpc', qube, 'sockets', name);
  return existsSync(nested) ? nested : join(home, 'run', 'rpc', qube, name);
}

/** Node code of a connection proxy: stdin to the socket, the socket to stdout; "error CODE" on stderr when the connect fails. */
const PROXY = `const s = require('node:net').connect(process.argv[1]);
s.on('connect', () => { process.stderr.write('connected\\n'); process.stdin.pipe(s); });
s.on('error', (e) => { process.stderr.write('error ' + (e.code || e.message) + '\\n'); process.exit(3); });
s.pipe(process.stdout);
s.on('close', () => process.exit(0));`;

export interface ConnAs {
  write(b: Uint8Array): void;
  end(): void;
  destroy(): void;
  onData(cb: (b: Buffer) => void): void;
  /** Resolves when the connection is over: whether it connected, and the error code if it did not. */
  closed: Promise<{ connected: boolean; error: string | null }>;
}

/** A Unix-socket connection opened by a child process that runs with `ids` (setpriv): SO_PEERCRED sees those ids. */
export function connectAs(path: string, ids: Ids): ConnAs {
  const groups = ids.groups?.length ? [`--groups=${ids.groups.join(',')}`] : ['--clear-groups'];
  const c = spawn('setpriv', [`--reuid=${ids.uid}`, `--regid=${ids.gid}`, ...groups, process.execPath, '-e', PROXY, path], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  c.stderr.on('data', (b: Buffer) => {
    err += b.toString();
  });
  c.stdin.on('error', () => undefined);
  return {
    write: (b) => {
      c.stdin.write(b);
    },
    end: () => {
      c.stdin.end();
    },
    destroy: () => {
      c.kill('SIGKILL');
    },
    onData: (cb) => {
      c.stdout.on('data', cb);
    },
    closed: new Promise((resolve) => c.on('close', () => resolve({ connected: /^connected$/m.test(err), error: /^error (\S+)/m.exec(err)?.[1] ?? null }))),
  };
}

/** A daemon with debian-12, app qubes `names` started, and policy.d = shipped policy + TEST_POLICY. */
export async function rpcWorld(tag: string, names: string[], opts: { askTimeoutS?: number; start?: string[]; dvm?: boolean } = {}): Promise<RpcWorld> {
  const d = testDaemon(tag);
  if (opts.askTimeoutS) d.env.BULKHEAD_RPC_ASK_TIMEOUT_S = String(opts.askTimeoutS);
  installTestPolicy(d.home, TEST_POLICY);
  d.start();
  d.ok(['template', 'import', 'debian-12', TEMPLATE_TAR], undefined, 300_000);
  for (const n of names) d.ok(['create', n, '--template', 'debian-12', '--label', 'blue']);
  if (opts.dvm) {
    d.ok(['create', 'dvm', '--template', 'debian-12', '--label', 'red', '--prop', 'template_for_dispvms=true']);
    d.ok(['global', 'default_dispvm', 'dvm']);
  }
  const start = opts.start ?? names;
  if (start.length) d.ok(['start', ...start]);
  const bases = new Map<string, number>();
  for (const n of names) bases.set(n, await uidBaseOf(d.home, n));
  return {
    d,
    socketOf: (q) => rpcSocket(d.home, q, 'broker.sock'),
    agentSocketOf: (q) => rpcSocket(d.home, q, 'agent.sock'),
    rootOf: (q) => ({ uid: bases.get(q)!, gid: bases.get(q)! }),
  };
}

export interface Spawned {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI as a child process that runs while the test does other things. */
export function cliAsync(d: TestDaemon, args: string[], input?: string | Buffer): Promise<Spawned> {
  return new Promise((resolve) => {
    const c = spawn(CLI, args, { env: d.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    c.stderr.on('data', (b: Buffer) => {
      err += b.toString();
    });
    c.on('close', (code) => resolve({ code, stdout: out, stderr: err }));
    c.stdin.end(input ?? '');
  });
}

export interface RawResult {
  stdout: Buffer;
  stderr: string;
  exit: number | null;
  error: { code: number; message: string } | null;
  /** Whether the connect() itself succeeded, and its error code when it did not. */
  connected: boolean;
  connectError: string | null;
}

/**
 * A hand-made client on a qube's broker socket, connecting from the host with `as` (by default
 * the qube's root would be needed: the broker admits only the qube's uids): any HELLO bytes, any
 * CALL fields, stdin as frames. Returns what came back.
 */
export function rawCall(
  sock: string,
  opts: { as: Ids; target: string; service: string; stdin?: Uint8Array; hello?: Buffer; callPayload?: Buffer; timeoutMs?: number },
): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const s = connectAs(sock, opts.as);
    const r = new FrameReader();
    const out: Buffer[] = [];
    let err = '';
    const res: RawResult = { stdout: Buffer.alloc(0), stderr: '', exit: null, error: null, connected: false, connectError: null };
    let settled = false;
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error('raw call timed out'));
    }, opts.timeoutMs ?? 60_000);
    const done = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      res.stdout = Buffer.concat(out);
      res.stderr = err;
      s.destroy();
    };
    s.onData((c: Buffer) => {
      for (const f of r.push(c)) {
        if (f.type === FrameType.STDOUT) out.push(Buffer.from(f.payload));
        else if (f.type === FrameType.STDERR) err += f.payload.toString();
        else if (f.type === FrameType.EXIT) {
          res.exit = payload.exit(f);
          done();
        } else if (f.type === FrameType.ERROR) {
          res.error = payload.error(f);
          done();
        }
      }
    });
    void s.closed.then((c) => {
      res.connected = c.connected;
      res.connectError = c.error;
      done();
      resolve(res);
    });
    const hello = opts.hello ?? Buffer.from([1, 0, 0, 0]);
    s.write(encodeFrame(FrameType.HELLO, hello));
    s.write(opts.callPayload ? encodeFrame(FrameType.CALL, opts.callPayload) : encodeCall(opts.target, opts.service));
    for (const f of encodeData(FrameType.STDIN, opts.stdin ?? new Uint8Array(0))) s.write(f);
    s.write(encodeEof(StreamId.STDIN));
  });
}

export async function waitFor<T>(what: string, fn: () => T | undefined | null | false, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
