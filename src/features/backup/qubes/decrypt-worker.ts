// Worker thread of the decrypt pool: reads one chunk from the backup file, derives its key, authenticates and decrypts it.
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { QubesBackupError } from './errors.js';
import { deriveKeySync, openScryptFile, parseScryptHeader } from './scrypt-file.js';
import type { DecryptJob, DecryptReply } from './decrypt-pool.js';

function readChunk(path: string, offset: number, size: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.allocUnsafeSlow(size);
    let got = 0;
    while (got < size) {
      const n = readSync(fd, b, got, size - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    return b.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** A buffer that owns its whole ArrayBuffer, so it can be moved to the main thread without a copy. */
function owned(b: Buffer): Buffer {
  if (b.byteOffset === 0 && b.buffer.byteLength === b.length) return b;
  const c = Buffer.allocUnsafeSlow(b.length);
  b.copy(c);
  return c;
}

parentPort!.on('message', (m: { id: number; job: DecryptJob }) => {
  void (async () => {
    let reply: DecryptReply;
    try {
      const { path, offset, size, name, passphrase, maxKdfBytes } = m.job;
      const file = readChunk(path, offset, size);
      const dk = deriveKeySync(passphrase, parseScryptHeader(file, name, maxKdfBytes));
      const plain = owned(openScryptFile(file, dk, name));
      reply = { id: m.id, ok: true, data: plain };
      parentPort!.postMessage(reply, [plain.buffer as ArrayBuffer]);
      return;
    } catch (e) {
      reply =
        e instanceof QubesBackupError
          ? { id: m.id, ok: false, where: e.where, reason: e.reason }
          : { id: m.id, ok: false, where: m.job.name, reason: (e as Error).message };
    }
    parentPort!.postMessage(reply);
  })();
});
