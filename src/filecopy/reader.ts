// Incremental, validating decoder of a file-copy stream: the receiver's rules without the disk.
import { BulkheadError } from '../errors/index.js';
import { crc32 } from './crc32.js';
import {
  decodeHeader,
  displayName,
  Errno,
  HEADER_SIZE,
  MAX_PATH_LENGTH,
  S_IFDIR,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
  type CopyResult,
  type FileHeader,
} from './format.js';
import { validFileName, validSymlink } from './names.js';

export interface ReaderLimits {
  /** Most bytes of file data and symlink targets together; undefined = no limit. */
  maxBytes?: bigint;
  /** Most entries (files, directories, symlinks); undefined = no limit. */
  maxFiles?: number;
}

export type FilecopyEvent =
  | { type: 'file'; name: string; perm: number; size: bigint; header: FileHeader }
  | { type: 'data'; bytes: Uint8Array }
  | { type: 'file-end' }
  | { type: 'dir'; name: string; perm: number; header: FileHeader }
  | { type: 'symlink'; name: string; target: string; header: FileHeader }
  | { type: 'end' };

/** A refused stream: the errno the receiver reports and the name it names. */
export class FilecopyError extends BulkheadError {
  readonly errno: number;
  readonly lastName: Uint8Array;
  constructor(errno: number, lastName: Uint8Array, why: string) {
    super('ERR_FILECOPY', `file copy refused (errno ${errno}): ${why}${lastName.length ? ` "${displayName(lastName)}"` : ''}`);
    this.errno = errno;
    this.lastName = lastName;
  }
}

type State = 'header' | 'name' | 'data' | 'target' | 'done';
const utf8 = new TextDecoder('utf-8', { fatal: true });
const NSEC_MAX = 999_999_999;

export class FilecopyReader {
  private state: State = 'header';
  private buf = new Uint8Array(HEADER_SIZE);
  private need = HEADER_SIZE;
  private got = 0;
  private hdr: FileHeader | undefined;
  private name = new Uint8Array(0);
  private left = 0n;
  private crc = 0;
  private files = 0;
  private bytes = 0n;
  private failed: FilecopyError | undefined;

  constructor(private readonly limits: ReaderLimits = {}) {}

  /** Feeds the next chunk; returns the events it completes. Throws FilecopyError on the first refusal. */
  push(chunk: Uint8Array): FilecopyEvent[] {
    if (this.failed) throw this.failed;
    const out: FilecopyEvent[] = [];
    let i = 0;
    while (i < chunk.length && this.state !== 'done') {
      if (this.state === 'data') {
        const n = Number(this.left < BigInt(chunk.length - i) ? this.left : BigInt(chunk.length - i));
        const part = chunk.subarray(i, i + n);
        this.crc = crc32(this.crc, part);
        out.push({ type: 'data', bytes: part });
        i += n;
        this.left -= BigInt(n);
        if (this.left === 0n) {
          out.push({ type: 'file-end' });
          this.expect('header', HEADER_SIZE);
        }
        continue;
      }
      const n = Math.min(this.need - this.got, chunk.length - i);
      this.buf.set(chunk.subarray(i, i + n), this.got);
      this.crc = crc32(this.crc, chunk.subarray(i, i + n));
      this.got += n;
      i += n;
      if (this.got === this.need) this.complete(out);
    }
    return out;
  }

  /** Call at end of input: throws unless the end marker was seen. */
  finish(): void {
    if (this.failed) throw this.failed;
    if (this.state === 'done') return;
    if (this.state === 'header' && this.got === 0) this.fail(Errno.EREMOTEIO, this.name, 'stream ended without the end marker');
    this.fail(Errno.LEGAL_EOF, this.name, 'stream ended inside an entry');
  }

  /** The answer a receiver sends for what has been read so far. */
  result(): CopyResult {
    return { errno: this.failed?.errno ?? 0, crc32: this.crc, lastName: this.failed?.lastName ?? this.name };
  }

  private expect(state: State, need: number): void {
    this.state = state;
    this.need = need;
    this.got = 0;
    if (this.buf.length < need) this.buf = new Uint8Array(need);
  }

  private fail(errno: number, name: Uint8Array, why: string): never {
    this.failed = new FilecopyError(errno, name, why);
    throw this.failed;
  }

  private complete(out: FilecopyEvent[]): void {
    if (this.state === 'header') {
      const h = decodeHeader(this.buf);
      if (h.namelen === 0) {
        this.state = 'done';
        out.push({ type: 'end' });
        return;
      }
      this.files++;
      if (this.limits.maxFiles !== undefined && this.files > this.limits.maxFiles)
        this.fail(Errno.EDQUOT, this.name, `more than ${this.limits.maxFiles} entries`);
      if (h.namelen > MAX_PATH_LENGTH - 1) this.fail(Errno.ENAMETOOLONG, new Uint8Array(0), `name of ${h.namelen} bytes`);
      this.hdr = h;
      this.expect('name', h.namelen);
      return;
    }
    const h = this.hdr!;
    if (this.state === 'name') {
      const field = this.buf.slice(0, h.namelen);
      // The name field carries the name and one trailing NUL; a NUL elsewhere fails validation.
      this.name = field[field.length - 1] === 0 ? field.subarray(0, field.length - 1) : field;
      const ok = field[field.length - 1] === 0 && validFileName(this.name);
      if (!ok) this.fail(Errno.EILSEQ, this.name, 'unsafe name');
      if (h.atimeNsec > NSEC_MAX || h.mtimeNsec > NSEC_MAX) this.fail(Errno.EINVAL, this.name, 'bad time');
      const name = utf8.decode(this.name);
      const kind = h.mode & S_IFMT;
      const perm = h.mode & 0o777;
      if (kind === S_IFREG) {
        this.account(h.filelen);
        out.push({ type: 'file', name, perm, size: h.filelen, header: h });
        if (h.filelen === 0n) {
          out.push({ type: 'file-end' });
          this.expect('header', HEADER_SIZE);
        } else {
          this.left = h.filelen;
          this.state = 'data';
        }
      } else if (kind === S_IFDIR) {
        if (h.filelen !== 0n) this.fail(Errno.EINVAL, this.name, 'directory with a length');
        out.push({ type: 'dir', name, perm, header: h });
        this.expect('header', HEADER_SIZE);
      } else if (kind === S_IFLNK) {
        if (h.filelen > BigInt(MAX_PATH_LENGTH - 1)) this.fail(Errno.ENAMETOOLONG, this.name, 'symlink target too long');
        this.account(h.filelen);
        if (h.filelen === 0n) this.fail(Errno.EILSEQ, new Uint8Array(0), 'empty symlink target');
        this.expect('target', Number(h.filelen));
      } else {
        this.fail(Errno.EINVAL, this.name, 'not a regular file, directory or symlink');
      }
      return;
    }
    // target
    const target = this.buf.slice(0, this.need);
    if (!validSymlink(this.name, target)) this.fail(Errno.EILSEQ, target, 'unsafe symlink');
    out.push({ type: 'symlink', name: utf8.decode(this.name), target: utf8.decode(target), header: h });
    this.expect('header', HEADER_SIZE);
  }

  private account(len: bigint): void {
    const max = this.limits.maxBytes;
    if (max !== undefined && (len > max || this.bytes > max - len)) this.fail(Errno.EDQUOT, this.name, `more than ${max} bytes`);
    this.bytes += len;
  }
}

/** Decodes a whole stream held in memory; returns the events or throws FilecopyError. */
export function decodeStream(stream: Uint8Array, limits: ReaderLimits = {}): FilecopyEvent[] {
  const r = new FilecopyReader(limits);
  const ev = r.push(stream);
  r.finish();
  return ev;
}
