// Frames tor control-port replies: `NNN-` mid lines, `NNN+` data blocks ending in '.', `NNN ` final line.

export class ReplyReader {
  private buf = '';
  private lines: string[] = [];
  private inData = false;
  private readonly done: (reply: string) => void;

  /** `done` receives each complete reply (CRLF line endings kept); asynchronous 6xx events are dropped. */
  constructor(done: (reply: string) => void) {
    this.done = done;
  }

  feed(chunk: string): void {
    this.buf += chunk;
    for (let i = this.buf.indexOf('\n'); i >= 0; i = this.buf.indexOf('\n')) {
      const line = this.buf.slice(0, i).replace(/\r$/, '');
      this.buf = this.buf.slice(i + 1);
      this.line(line);
    }
  }

  private line(line: string): void {
    this.lines.push(line);
    if (this.inData) {
      if (line === '.') this.inData = false;
      return;
    }
    const sep = line.charAt(3);
    if (sep === '+') this.inData = true;
    else if (sep === ' ' || line.length === 3) {
      const reply = this.lines.join('\r\n') + '\r\n';
      this.lines = [];
      if (!line.startsWith('6')) this.done(reply);
    }
  }
}
