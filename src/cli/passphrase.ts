// A passphrase from --passphrase-file, or typed at a terminal without echo (twice when it is new); never from an argument.
import { readFile } from 'node:fs/promises';

const MAX = 4096;

/** The file's content without one trailing newline; an empty or oversized file is refused. */
export async function passphraseFromFile(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new Error(`--passphrase-file ${file}: ${(e as Error).message}`);
  }
  const p = text.replace(/\r?\n$/, '');
  if (p.length === 0) throw new Error(`--passphrase-file ${file}: the passphrase is empty`);
  if (p.length > MAX) throw new Error(`--passphrase-file ${file}: longer than ${MAX} characters`);
  return p;
}

function promptHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    let s = '';
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err); else resolve(s);
    };
    const onData = (d: Buffer) => {
      for (const ch of d.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new Error('interrupted'));
        if (ch === '\u007f' || ch === '\b') s = s.slice(0, -1);
        else if (s.length < MAX) s += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** The passphrase for a backup: from the file, else asked at the terminal (`confirm`: typed twice). */
export async function getPassphrase(file: string | undefined, confirm: boolean): Promise<string> {
  if (file) return passphraseFromFile(file);
  if (!process.stdin.isTTY) throw new Error('no passphrase: give --passphrase-file FILE (stdin is not a terminal to ask on)');
  const p = await promptHidden('Backup passphrase: ');
  if (!p) throw new Error('the passphrase is empty');
  if (confirm && (await promptHidden('Again: ')) !== p) throw new Error('the two passphrases differ');
  return p;
}
