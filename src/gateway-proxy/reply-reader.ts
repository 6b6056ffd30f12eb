// Frames tor control-port replies: `NNN-` mid lines, `NNN+` data blocks ending in '.', `NNN ` final line.

export class ReplyReader {
  private buf = '';
  private lines: string[] = [];
  private inData = false;
  /** Characters of the reply being framed (its complete lines). */
  private held = 0;
  private readonly done: (reply: string) => void;

  /**
   * `done` receives each complete reply (CRLF line endings kept); asynchronous 6xx events are dropped.
   * A reply (or unterminated line) longer than `maxReply` characters makes feed() return false: close the connection.
   */
  constructor(done: (reply: string) => void, private readonly maxReply = Infinity) {
    this.done = done;
  }

  /** Returns false once the peer sent more than maxReply without ending a reply. */
  feed(chunk: string): boolean {
    this.buf += chunk;
    for (let i = this.buf.indexOf('\n'); i >= 0; i = this.buf.indexOf('\n')) {
      const line = this.buf.slice(0, i).replace(/\r$/, '');
      this.buf = this.buf.slice(i + 1);
      this.line(line);
      if (this.held > this.maxReply) return false;
    }
    return this.held + this.buf.length <= this.maxReply;
  }

  private line(line: string): void {
    this.lines.push(line);
    this.held += line.length + 2;
    if (this.inData) {
      if (line === '.') this.inData = false;
      return;
    }
    const sep = line.charAt(3);
    if (sep === '+') this.inData = true;
    else if (sep === ' ' || line.length === 3) {
      const reply = this.lines.join('\r\n') + '\r\n';
      this.lines = [];
      this.held = 0;
      if (!line.startsWith('6')) this.done(reply);
    }
  }
}
