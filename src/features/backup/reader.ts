// Reads a backup: header and passphrase first, then every record in order, authenticated before its bytes go anywhere.
import { open as openFile, type FileHandle } from 'node:fs/promises';
import { BulkheadError } from '../../errors/index.js';
import { checkHeaderMac, deriveKeys, open, type BackupKeys } from './crypto.js';
import {
  FLAG_LAST,
  HEADER_BYTES,
  LIMITS,
  MANIFEST_NAME,
  RECORD_HEADER_BYTES,
  RecordKind,
  TRAILER_NAME,
  parseHeader,
  parseRecordHeader,
  parseTrailer,
  recordAad,
  type BackupHeader,
  type RecordHeader,
} from './format.js';
import { parseManifest, type Manifest, type ManifestEntry } from './manifest.js';

/** Where an entry's authenticated bytes go (restore), or nowhere (verify, a qube not chosen). */
export interface EntrySink {
  write(b: Buffer): Promise<void>;
  /** All chunks arrived and were authenticated: finish (wait for the program writing it). */
  end(): Promise<void>;
  /** Something failed: stop and leave nothing usable behind. */
  abort(): Promise<void>;
}

export interface ReadProgress {
  done: number;
  total: number;
  entry: string;
}

const bad = (msg: string) => new BulkheadError('ERR_BACKUP', msg);
const KIND_NAME: Record<number, string> = { [RecordKind.manifest]: 'manifest', [RecordKind.data]: 'data', [RecordKind.trailer]: 'trailer' };

export class BackupReader {
  private pos = HEADER_BYTES;
  private seq = 0n;
  private manifestRead: Manifest | null = null;

  private constructor(
    private readonly fh: FileHandle,
    readonly header: BackupHeader,
    private readonly keys: BackupKeys,
    readonly size: number,
    readonly file: string,
  ) {}

  /** Open `file`, parse its header (bounded) and check the passphrase against the header's MAC. */
  static async open(file: string, passphrase: string): Promise<BackupReader> {
    let fh: FileHandle;
    try {
      fh = await openFile(file, 'r');
    } catch (e) {
      throw new BulkheadError('ERR_BACKUP', `${file}: cannot open: ${(e as Error).message}`);
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw bad(`${file}: not a regular file`);
      const head = Buffer.alloc(HEADER_BYTES);
      const { bytesRead } = await fh.read(head, 0, HEADER_BYTES, 0);
      const header = parseHeader(head.subarray(0, bytesRead));
      const keys = await deriveKeys(passphrase, header);
      checkHeaderMac(keys, header);
      return new BackupReader(fh, header, keys, st.size, file);
    } catch (e) {
      await fh.close();
      if (e instanceof BulkheadError) throw new BulkheadError(e.code, `${file}: ${e.message}`);
      throw e;
    }
  }

  async close(): Promise<void> {
    await this.fh.close();
  }

  private async readExact(n: number, what: string): Promise<Buffer> {
    const b = Buffer.allocUnsafe(n);
    let got = 0;
    while (got < n) {
      const { bytesRead } = await this.fh.read(b, got, n - got, this.pos + got);
      if (bytesRead === 0) throw bad(`${this.file}: truncated at byte ${this.pos + got} inside ${what} (the file ends there; nothing restored)`);
      got += bytesRead;
    }
    this.pos += n;
    return b;
  }

  private where(kind: number, entry: number, index: number, name: string): string {
    return kind === RecordKind.data ? `chunk ${index} of ${name} (entry ${entry})` : `${KIND_NAME[kind]} chunk ${index}`;
  }

  /**
   * The next record, which must be chunk `index` of `name` (kind, entry): its header is checked
   * against that expectation and its ciphertext authenticated with associated data built from
   * the expectation, so a record from elsewhere (another place, entry or backup) fails here.
   */
  private async next(kind: number, entry: number, index: number, name: string): Promise<{ plain: Buffer; last: boolean }> {
    const what = this.where(kind, entry, index, name);
    const at = this.pos;
    if (at === this.size) {
      throw bad(`${this.file}: truncated: the file ends at byte ${at} where ${what} should begin (no trailer; nothing restored)`);
    }
    const h: RecordHeader = parseRecordHeader(await this.readExact(RECORD_HEADER_BYTES, `the header of ${what}`), this.header.chunkSize, at);
    if (h.kind !== kind || h.entry !== (entry & 0xffff) || h.index !== index) {
      throw bad(
        `${this.file}: record at byte ${at} is out of place: expected ${what}, found ${KIND_NAME[h.kind]} chunk ${h.index} of entry ${h.entry} (chunks reordered, dropped or inserted; nothing restored)`,
      );
    }
    const sealed = await this.readExact(h.length, what);
    const seq = this.seq++;
    const aad = recordAad({ backupId: this.header.backupId, headerMac: this.header.mac, seq, kind, flags: h.flags, entry, index, name });
    const plain = open(this.keys, seq, aad, sealed);
    if (!plain) throw bad(`${this.file}: ${what} at byte ${at} failed authentication (altered, moved, or from another backup; nothing restored)`);
    return { plain, last: (h.flags & FLAG_LAST) !== 0 };
  }

  /** The manifest: the first records of the file. */
  async manifest(): Promise<Manifest> {
    if (this.manifestRead) return this.manifestRead;
    const parts: Buffer[] = [];
    let total = 0;
    for (let index = 0; ; index++) {
      const { plain, last } = await this.next(RecordKind.manifest, 0, index, MANIFEST_NAME);
      total += plain.length;
      if (total > LIMITS.maxManifestBytes) throw bad(`${this.file}: manifest larger than ${LIMITS.maxManifestBytes} bytes`);
      parts.push(plain);
      if (last) break;
    }
    try {
      this.manifestRead = parseManifest(Buffer.concat(parts).toString('utf8'));
    } catch (e) {
      throw new BulkheadError('ERR_BACKUP', `${this.file}: ${(e as Error).message}`);
    }
    return this.manifestRead;
  }

  /**
   * Every entry in manifest order, then the trailer, then the end of the file. `sinkFor` says
   * where an entry's bytes go (null: authenticated and dropped). On any failure every sink opened
   * is aborted before the error is thrown.
   */
  async entries(sinkFor: (e: ManifestEntry, i: number) => Promise<EntrySink | null>, onProgress?: (p: ReadProgress) => void): Promise<void> {
    const m = await this.manifest();
    const open: EntrySink[] = [];
    try {
      for (const [i, e] of m.entries.entries()) {
        const sink = await sinkFor(e, i);
        if (sink) open.push(sink);
        for (let index = 0; ; index++) {
          const { plain, last } = await this.next(RecordKind.data, i, index, e.name);
          if (sink && plain.length) await sink.write(plain);
          onProgress?.({ done: this.pos, total: this.size, entry: e.name });
          if (last) break;
        }
        await sink?.end();
      }
      const { plain } = await this.next(RecordKind.trailer, 0, 0, TRAILER_NAME);
      const t = parseTrailer(plain);
      if (t.records !== this.seq - 1n || t.entries !== m.entries.length) {
        throw bad(`${this.file}: trailer counts ${t.records} records and ${t.entries} entries, the file held ${this.seq - 1n} and ${m.entries.length}`);
      }
      if (this.pos !== this.size)
        throw bad(`${this.file}: ${this.size - this.pos} bytes after the trailer at byte ${this.pos} (appended data; nothing restored)`);
      onProgress?.({ done: this.pos, total: this.size, entry: TRAILER_NAME });
    } catch (e) {
      for (const s of open) await s.abort().catch(() => undefined);
      throw e;
    }
  }
}
