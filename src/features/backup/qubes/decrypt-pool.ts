// A pool of worker threads that authenticate and decrypt chunks in parallel (key derivation, HMAC and AES of each chunk on its own core).
import { Worker } from 'node:worker_threads';
import { QubesBackupError } from './errors.js';

export interface DecryptJob {
  path: string;
  offset: number;
  size: number;
  /** The chunk's member name (`vm3/private.img.002.enc`): errors name it. */
  name: string;
  passphrase: string;
  maxKdfBytes: number;
}
export type DecryptReply = { id: number; ok: true; data: Buffer } | { id: number; ok: false; where: string; reason: string };

export class DecryptPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: { id: number; job: DecryptJob }[] = [];
  private readonly waiting = new Map<number, { resolve: (b: Buffer) => void; reject: (e: Error) => void }>();
  private next = 0;

  constructor(size: number) {
    // Built code runs decrypt-worker.js; the tests and benches run the TypeScript through tsx (inherited by workers).
    const ts = import.meta.url.endsWith('.ts');
    const url = new URL(ts ? './decrypt-worker.ts' : './decrypt-worker.js', import.meta.url);
    // A worker does not inherit tsx's loader: under tsx it registers it first, then loads the worker.
    const boot = ts
      ? `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`
      : '';
    for (let i = 0; i < size; i++) {
      const w = ts ? new Worker(boot, { eval: true }) : new Worker(url);
      w.unref();
      w.on('message', (r: DecryptReply) => this.done(w, r));
      w.on('error', (e) => this.fail(new QubesBackupError('decrypt worker', `failed: ${e.message}`)));
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  /** The chunk's plaintext, authenticated; rejects with a QubesBackupError naming it. */
  run(job: DecryptJob): Promise<Buffer> {
    const id = this.next++;
    const p = new Promise<Buffer>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    this.queue.push({ id, job });
    this.pump();
    return p;
  }

  async close(): Promise<void> {
    for (const w of this.workers) await w.terminate();
    this.fail(new Error('decrypt pool closed'));
  }

  private pump(): void {
    while (this.idle.length && this.queue.length) this.idle.pop()!.postMessage(this.queue.shift()!);
  }

  private done(w: Worker, r: DecryptReply): void {
    const p = this.waiting.get(r.id);
    this.waiting.delete(r.id);
    this.idle.push(w);
    this.pump();
    if (!p) return;
    if (r.ok) p.resolve(Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength));
    else p.reject(new QubesBackupError(r.where, r.reason));
  }

  private fail(e: Error): void {
    for (const p of this.waiting.values()) p.reject(e);
    this.waiting.clear();
  }
}
