// Shared set-up of the RPC integration tests: a daemon with a template, qubes, a test policy, and a raw frame client.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { encodeCall, encodeData, encodeEof, encodeFrame, FrameReader, FrameType, payload, StreamId } from '../../src/rpc/frame.js';
import { CLI, ROOT, testDaemon, type TestDaemon } from './helpers/daemon.js';

export const TEMPLATE_TAR = '/var/cache/bulkhead/test-debian-12.tar';

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

export interface RpcWorld { d: TestDaemon; socketOf(qube: string): string }

/** A daemon with debian-12, app qubes `names` started, and policy.d = shipped policy + TEST_POLICY. */
export async function rpcWorld(tag: string, names: string[], opts: { askTimeoutS?: number; start?: string[]; dvm?: boolean } = {}): Promise<RpcWorld> {
  const d = testDaemon(tag);
  if (opts.askTimeoutS) d.env.BULKHEAD_RPC_ASK_TIMEOUT_S = String(opts.askTimeoutS);
  const pol = join(d.home, 'policy.d');
  mkdirSync(pol, { recursive: true });
  for (const f of readdirSync(join(ROOT, 'policy', 'default'))) cpSync(join(ROOT, 'policy', 'default', f), join(pol, f));
  writeFileSync(join(pol, '30-test.policy'), TEST_POLICY);
  d.start();
  d.ok(['template', 'import', 'debian-12', TEMPLATE_TAR], undefined, 300_000);
  for (const n of names) d.ok(['create', n, '--template', 'debian-12', '--label', 'blue']);
  if (opts.dvm) {
    d.ok(['create', 'dvm', '--template', 'debian-12', '--label', 'red', '--prop', 'template_for_dispvms=true']);
    d.ok(['global', 'default_dispvm', 'dvm']);
  }
  const start = opts.start ?? names;
  if (start.length) d.ok(['start', ...start]);
  return { d, socketOf: (q) => join(d.home, 'run', 'rpc', q, 'broker.sock') };
}

export interface Spawned { code: number | null; stdout: string; stderr: string }

/** The CLI as a child process that runs while the test does other things. */
export function cliAsync(d: TestDaemon, args: string[], input?: string | Buffer): Promise<Spawned> {
  return new Promise((resolve) => {
    const c = spawn(CLI, args, { env: d.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    c.stderr.on('data', (b: Buffer) => { err += b.toString(); });
    c.on('close', (code) => resolve({ code, stdout: out, stderr: err }));
    c.stdin.end(input ?? '');
  });
}

export interface RawResult { stdout: Buffer; stderr: string; exit: number | null; error: { code: number; message: string } | null }

/**
 * A hand-made client on a qube's broker socket (host side): any HELLO bytes, any CALL fields,
 * stdin as frames. Returns what came back.
 */
export function rawCall(sock: string, opts: { target: string; service: string; stdin?: Uint8Array; hello?: Buffer; callPayload?: Buffer; timeoutMs?: number }): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const s = connect(sock);
    const r = new FrameReader();
    const out: Buffer[] = [];
    let err = '';
    const res: RawResult = { stdout: Buffer.alloc(0), stderr: '', exit: null, error: null };
    const timer = setTimeout(() => { s.destroy(); reject(new Error('raw call timed out')); }, opts.timeoutMs ?? 60_000);
    const done = () => { clearTimeout(timer); res.stdout = Buffer.concat(out); res.stderr = err; s.destroy(); resolve(res); };
    s.on('data', (c: Buffer) => {
      for (const f of r.push(c)) {
        if (f.type === FrameType.STDOUT) out.push(Buffer.from(f.payload));
        else if (f.type === FrameType.STDERR) err += f.payload.toString();
        else if (f.type === FrameType.EXIT) { res.exit = payload.exit(f); done(); }
        else if (f.type === FrameType.ERROR) { res.error = payload.error(f); done(); }
      }
    });
    s.on('error', (e) => { clearTimeout(timer); reject(e); });
    s.on('close', () => { clearTimeout(timer); resolve(res); });
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
