// Passphrases (encrypted qubes, backups): from a file (--passphrase-file), or asked at a terminal without echo; never from an argument.
import { promises as fsp } from 'node:fs';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

const MAX_FILE_BYTES = 4096;

/** The passphrase in `path`: its whole content, without one final newline. Empty is an error. */
export async function readPassphraseFile(path: string, flag = '--passphrase-file'): Promise<string> {
  let fh;
  try {
    fh = await fsp.open(path, 'r');
  } catch (e) {
    throw new Error(`${flag} ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new Error(`${flag} ${path}: not a regular file`);
    if (st.size > MAX_FILE_BYTES) throw new Error(`${flag} ${path}: longer than ${MAX_FILE_BYTES} bytes`);
    const text = (await fh.readFile('utf8')).replace(/\r?\n$/, '');
    if (text.length === 0) throw new Error(`${flag} ${path}: the passphrase is empty`);
    return text;
  } finally {
    await fh.close();
  }
}

/** Ask on the terminal without echoing what is typed; null when stdin is not a terminal. */
export async function promptPassphrase(question: string): Promise<string | null> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return null;
  let muted = false;
  const out = new Writable({
    write(chunk, _enc, cb) {
      if (!muted) process.stderr.write(chunk);
      cb();
    },
  });
  const rl = createInterface({ input: process.stdin, output: out, terminal: true });
  try {
    const answer = new Promise<string>((res) => rl.question(question, res));
    muted = true;
    const pass = await answer;
    process.stderr.write('\n');
    if (pass.length === 0) throw new Error('the passphrase is empty');
    return pass;
  } finally {
    rl.close();
  }
}

/** A passphrase from `file` when given, else from the terminal (typed twice when `confirm`), else null. */
export async function passphraseFrom(file: string | undefined, what: string, confirm = false, flag = '--passphrase-file'): Promise<string | null> {
  if (file !== undefined) return readPassphraseFile(file, flag);
  const p = await promptPassphrase(`${what}: `);
  if (p === null || !confirm) return p;
  if ((await promptPassphrase(`${what} (again): `)) !== p) throw new Error('the passphrases differ');
  return p;
}

/** The file's passphrase (for tests and callers that only take files). */
export const passphraseFromFile = (file: string): Promise<string> => readPassphraseFile(file);

/** A backup's passphrase: from the file, else asked at the terminal (`confirm`: typed twice); an error when neither is possible. */
export async function getPassphrase(file: string | undefined, confirm: boolean): Promise<string> {
  const p = await passphraseFrom(file, 'Backup passphrase', confirm);
  if (p === null) throw new Error('no passphrase: give --passphrase-file FILE (stdin is not a terminal to ask on)');
  return p;
}
