// Opening a Qubes v4 backup file: index it, authenticate its header, and stream one backed-up file out of its chunks (keys derived in parallel).
import { closeSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { layoutOf, type BackupLayout, type Chunk } from './chunks.js';
import { fail, QubesBackupError } from './errors.js';
import { chunkPassphrase, headerPassphrase, HEADER_NAME, MAX_HEADER_BYTES, parseBackupHeader, type BackupHeader } from './header.js';
import { InnerTarParser, type InnerSink } from './inner-tar.js';
import { indexOuterTar, type OuterMember } from './outer-tar.js';
import { DecryptPool } from './decrypt-pool.js';
import { deriveKey, kdfBytes, MAX_KDF_BYTES, openScryptFile, parseScryptHeader, SCRYPT_HEADER_BYTES } from './scrypt-file.js';

/** Largest chunk read (Qubes writes 100 MiB chunks); a chunk is held in memory while it is checked. */
export const MAX_CHUNK_BYTES = 512 * 1024 * 1024;
/** Memory the key derivations running at once may take together: half the host's memory, as the scrypt tool's decrypt allows one. */
const KDF_BUDGET_BYTES = Math.floor(totalmem() / 2);
/** What one derivation may ask for: the budget, and at most the format's own bound. */
const KDF_MAX_BYTES = Math.min(KDF_BUDGET_BYTES, MAX_KDF_BYTES);

export interface OpenBackup {
  path: string;
  header: BackupHeader;
  layout: BackupLayout;
  passphrase: string;
  /** Bytes of all chunks of a file, as stored. */
  storedBytes(file: string): number;
  close(): void;
  readMember(m: OuterMember): Buffer;
}

/** Open and index the archive and authenticate its header (`backup-header.hmac` must decrypt to `backup-header` exactly). */
export async function openQubesBackup(path: string, passphrase: string): Promise<OpenBackup> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new QubesBackupError(path, `cannot be opened: ${(e as Error).message}`);
  }
  try {
    const size = fstatSync(fd).size;
    const readAt = (offset: number, length: number): Buffer => {
      const b = Buffer.allocUnsafe(length);
      let got = 0;
      while (got < length) {
        const n = readSync(fd, b, got, length - got, offset + got);
        if (n === 0) break;
        got += n;
      }
      return b.subarray(0, got);
    };
    const layout = layoutOf(indexOuterTar(readAt, size, path), path);
    const readMember = (m: OuterMember): Buffer => {
      if (m.size > MAX_CHUNK_BYTES) fail(m.name, `is ${m.size} bytes, more than the ${MAX_CHUNK_BYTES} accepted for a chunk`);
      return readAt(m.offset, m.size);
    };
    for (const m of [layout.header, layout.headerHmac]) if (m.size > MAX_HEADER_BYTES) fail(m.name, `larger than ${MAX_HEADER_BYTES} bytes`);
    const headerBytes = readMember(layout.header);
    const hmacFile = readMember(layout.headerHmac);
    const where = `${HEADER_NAME}.hmac`;
    const dk = await deriveKey(headerPassphrase(passphrase), parseScryptHeader(hmacFile, where, KDF_MAX_BYTES));
    let authentic: Buffer;
    try {
      authentic = openScryptFile(hmacFile, dk, where);
    } catch (e) {
      if (e instanceof QubesBackupError && /wrong passphrase/.test(e.message)) fail(where, "wrong passphrase (or not this backup's header)");
      throw e;
    }
    if (!authentic.equals(headerBytes)) fail(HEADER_NAME, `does not match its authenticated copy in ${where} (changed)`);
    const header = parseBackupHeader(headerBytes);
    return {
      path,
      header,
      layout,
      passphrase,
      readMember,
      storedBytes: (file) => (layout.files.get(file) ?? []).reduce((a, c) => a + c.size, 0),
      close: () => closeSync(fd),
    };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

export interface ReadFileOptions {
  maxRealSize: number;
  /** Worker threads deriving keys and decrypting chunks at once (default: by cores, chunks and memory). */
  parallel?: number;
}

/**
 * Stream a backed-up file (`vm3/private.img`) into `sink`: every chunk is authenticated before
 * its bytes go on; the chunks are decompressed as one stream and unpacked by the inner tar
 * parser, which insists on a complete archive (a dropped last chunk is caught there).
 */
export async function readBackedUpFile(b: OpenBackup, file: string, sink: InnerSink, opts: ReadFileOptions): Promise<void> {
  const chunks = b.layout.files.get(file);
  if (!chunks || chunks.length === 0) fail(file, 'is not in the backup');
  if (b.header.compressed && b.header.compressionFilter !== 'gzip')
    fail(HEADER_NAME, `compression-filter ${b.header.compressionFilter} is not supported (gzip, Qubes' default, is)`);
  const first = parseScryptHeader(b.readMember({ ...chunks[0]!, size: Math.min(chunks[0]!.size, SCRYPT_HEADER_BYTES + 32) }), chunks[0]!.name, KDF_MAX_BYTES);
  const threads = opts.parallel ?? Math.max(1, Math.min(cpus().length, chunks.length, Math.floor(KDF_BUDGET_BYTES / kdfBytes(first))));
  const pool = new DecryptPool(threads);
  const results: Promise<Buffer>[] = [];
  const start = (i: number) => {
    if (i >= chunks.length || results[i]) return;
    const c = chunks[i]!;
    if (c.size > MAX_CHUNK_BYTES) fail(c.name, `is ${c.size} bytes, more than the ${MAX_CHUNK_BYTES} accepted for a chunk`);
    const p = pool.run({
      path: b.path,
      offset: c.offset,
      size: c.size,
      name: c.name,
      passphrase: chunkPassphrase(b.header.backupId, c.plainName, b.passphrase),
      maxKdfBytes: KDF_MAX_BYTES,
    });
    p.catch(() => undefined);
    results[i] = p;
  };
  let current = chunks[0]!.name;
  // One chunk more in flight than threads, so a thread is never idle while its result is consumed; results come back in chunk order.
  async function* plaintexts(): AsyncGenerator<Buffer> {
    for (let i = 0; i < chunks!.length; i++) {
      for (let j = i; j <= i + threads; j++) start(j);
      current = chunks![i]!.name;
      const plain = await results[i]!;
      delete results[i];
      yield plain;
    }
  }
  // The member inside must be the file the chunks are named after (Qubes: `vm3/private.img` in `vm3/private.img.NNN`).
  const named: InnerSink = {
    begin(name, realSize) {
      if (name !== file) fail(file, `its inner archive holds '${name}' instead`);
      sink.begin(name, realSize);
    },
    data: (o, bytes) => sink.data(o, bytes),
    end: () => sink.end(),
  };
  const parser = new InnerTarParser(file, named, { maxRealSize: opts.maxRealSize, maxMembers: 1 });
  const into = new Writable({
    write(chunk: Buffer, _enc, done) {
      try {
        parser.push(chunk);
        done();
      } catch (e) {
        done(e as Error);
      }
    },
  });
  try {
    if (b.header.compressed) await pipeline(Readable.from(plaintexts()), createGunzip(), into);
    else await pipeline(Readable.from(plaintexts()), into);
  } catch (e) {
    if (e instanceof QubesBackupError) throw e;
    // zlib: the compressed stream is damaged or ends early (a chunk missing at the end).
    throw new QubesBackupError(current, `its file ${file} does not decompress: ${(e as Error).message}`, { cause: e });
  } finally {
    await pool.close();
  }
  parser.finish();
}

/** A sink that writes one file (sparse: holes stay holes) at `path`, which must not exist. */
export function fileSink(path: string): InnerSink & { close(): void } {
  let fd: number | null = null;
  let real = 0;
  return {
    begin(_name, realSize) {
      fd = openSync(path, 'wx', 0o600);
      real = realSize;
    },
    data(offset, bytes) {
      let done = 0;
      while (done < bytes.length) done += writeSync(fd!, bytes, done, bytes.length - done, offset + done);
    },
    end() {
      ftruncateSync(fd!, real);
    },
    close() {
      if (fd !== null) closeSync(fd);
      fd = null;
    },
  };
}

/** A sink that keeps one small file in memory (qubes.xml, firewall.xml), bounded. */
export function memorySink(max: number): InnerSink & { result(): Buffer } {
  const parts: Buffer[] = [];
  let got = 0;
  let done = false;
  return {
    begin(_name, realSize) {
      if (done) fail('inner archive', 'holds more than one file');
      if (realSize > max) fail('inner archive', `file is larger than ${max} bytes`);
    },
    data(_off, bytes) {
      got += bytes.length;
      if (got > max) fail('inner archive', `file is larger than ${max} bytes`);
      parts.push(Buffer.from(bytes));
    },
    end() {
      done = true;
    },
    result: () => Buffer.concat(parts),
  };
}
