// Writes a backup: header, manifest, each entry's compressed stream cut into sealed chunks, trailer; one pass, nothing staged.
import type { FileHandle } from 'node:fs/promises';
import { BulkheadError } from '../../errors/index.js';
import { deriveKeys, freshIds, headerMac, seal, type BackupKeys } from './crypto.js';
import {
  DEFAULT_CHUNK,
  DEFAULT_SCRYPT,
  FLAG_LAST,
  MANIFEST_NAME,
  RecordKind,
  TRAILER_NAME,
  encodeHeaderBody,
  encodeRecordHeader,
  encodeTrailer,
  recordAad,
  type ScryptParams,
} from './format.js';
import { encodeManifest, type Manifest } from './manifest.js';

export interface WriterOptions {
  scrypt?: ScryptParams;
  chunkSize?: number;
  now?: number;
}

export class BackupWriter {
  private seq = 0n;
  private entries = 0;
  private pending: Promise<unknown> = Promise.resolve();
  /** Bytes written (or queued) so far. */
  bytes = 0;

  private constructor(
    private readonly fh: FileHandle,
    private readonly keys: BackupKeys,
    private readonly backupId: Buffer,
    private readonly mac: Buffer,
    readonly chunkSize: number,
  ) {}

  /** Derive the backup's key (the one scrypt) and write the header. */
  static async start(fh: FileHandle, passphrase: string, opts: WriterOptions = {}): Promise<BackupWriter> {
    const { backupId, salt } = freshIds();
    const scrypt = opts.scrypt ?? DEFAULT_SCRYPT;
    const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK;
    const body = encodeHeaderBody({ scrypt, chunkSize, backupId, salt, createdAtMs: opts.now ?? Date.now() });
    const keys = await deriveKeys(passphrase, { salt, backupId, scrypt });
    const mac = headerMac(keys, body);
    const w = new BackupWriter(fh, keys, backupId, mac, chunkSize);
    await w.put([body, mac]);
    return w;
  }

  /** One write in flight while the next record is sealed: encryption and disk overlap. */
  private async put(bufs: Buffer[]): Promise<void> {
    await this.pending;
    const n = bufs.reduce((s, b) => s + b.length, 0);
    this.bytes += n;
    this.pending = (async () => {
      let left = bufs;
      while (left.length) {
        const { bytesWritten } = await this.fh.writev(left);
        // writev may write less than asked: drop what went out and go on with the rest.
        let w = bytesWritten;
        const rest: Buffer[] = [];
        for (const b of left) {
          if (w >= b.length) {
            w -= b.length;
            continue;
          }
          rest.push(w > 0 ? b.subarray(w) : b);
          w = 0;
        }
        left = rest;
      }
    })();
    this.pending.catch(() => undefined);
  }

  private async record(kind: number, flags: number, entry: number, index: number, name: string, plain: Buffer): Promise<void> {
    const seq = this.seq++;
    const aad = recordAad({ backupId: this.backupId, headerMac: this.mac, seq, kind, flags, entry, index, name });
    const sealed = seal(this.keys, seq, aad, plain);
    const length = sealed.reduce((s, b) => s + b.length, 0);
    await this.put([encodeRecordHeader({ kind, flags, entry, index, length }), ...sealed]);
  }

  /** Cut `source` into chunks of chunkSize; the last one (possibly empty) carries FLAG_LAST. */
  private async chunks(kind: number, entry: number, name: string, source: AsyncIterable<Buffer>): Promise<void> {
    let buf = Buffer.allocUnsafe(this.chunkSize);
    let fill = 0;
    let index = 0;
    // A full chunk is held until more data follows, so that the last chunk is always the flagged one.
    let held: Buffer | null = null;
    for await (const piece of source) {
      let off = 0;
      while (off < piece.length) {
        if (held) {
          await this.record(kind, 0, entry, index++, name, held);
          held = null;
        }
        const n = Math.min(piece.length - off, this.chunkSize - fill);
        piece.copy(buf, fill, off, off + n);
        fill += n;
        off += n;
        if (fill === this.chunkSize) {
          held = buf;
          buf = Buffer.allocUnsafe(this.chunkSize);
          fill = 0;
        }
      }
    }
    if (held && fill === 0) return this.record(kind, FLAG_LAST, entry, index, name, held);
    if (held) await this.record(kind, 0, entry, index++, name, held);
    await this.record(kind, FLAG_LAST, entry, index, name, buf.subarray(0, fill));
  }

  async manifest(m: Manifest): Promise<void> {
    if (this.seq !== 0n) throw new BulkheadError('ERR_INTERNAL', 'the manifest comes first');
    const text = encodeManifest(m);
    await this.chunks(
      RecordKind.manifest,
      0,
      MANIFEST_NAME,
      (async function* () {
        yield text;
      })(),
    );
  }

  /** Write entry number `entry` (its position in the manifest) from its compressed stream. */
  async entry(entry: number, name: string, source: AsyncIterable<Buffer>): Promise<void> {
    if (entry !== this.entries) throw new BulkheadError('ERR_INTERNAL', `entry ${entry} written out of order (next is ${this.entries})`);
    await this.chunks(RecordKind.data, entry, name, source);
    this.entries++;
  }

  /** The trailer: its presence proves the file was not cut at a record boundary. Then flush. */
  async finish(): Promise<void> {
    const records = this.seq;
    await this.record(RecordKind.trailer, FLAG_LAST, 0, 0, TRAILER_NAME, encodeTrailer({ records, entries: this.entries }));
    await this.pending;
    await this.fh.sync();
  }
}
