// Tor control-protocol replies (control-spec §2.3): status lines, data blocks, GETINFO maps, and their text form.
import { BulkheadError } from '../errors/index.js';

export interface ReplyLine {
  /** Text after the status code and separator. */
  text: string;
  /** Lines of a data block ('+' separator), dot-unstuffed, without the final ".". */
  data?: string[];
}

export interface ControlReply {
  status: number;
  lines: ReplyLine[];
}

/** Incremental parser: feed raw text, get complete replies. */
export class ReplyParser {
  private buf = '';
  private lines: ReplyLine[] = [];
  private data: string[] | null = null;
  /** Characters received since the last complete reply. */
  private held = 0;

  /** `maxReply`: a reply (or an unterminated line) longer than this many characters throws (the peer is not trusted). */
  constructor(private readonly maxReply = Infinity) {}

  push(chunk: string): ControlReply[] {
    this.buf += chunk;
    this.held += chunk.length;
    if (this.held > this.maxReply) throw new BulkheadError('ERR_NETWORK', `tor control reply longer than ${this.maxReply} characters`);
    const out: ControlReply[] = [];
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl).replace(/\r$/, '');
      this.buf = this.buf.slice(nl + 1);
      const done = this.line(line);
      if (done) {
        out.push(done);
        this.held = this.buf.length;
      }
    }
    return out;
  }

  private line(line: string): ControlReply | null {
    if (this.data) {
      if (line === '.') this.data = null;
      else this.data.push(line.startsWith('.') ? line.slice(1) : line);
      return null;
    }
    const m = /^(\d{3})([ +-])(.*)$/.exec(line);
    if (!m) throw new BulkheadError('ERR_NETWORK', `malformed tor control line: ${JSON.stringify(line.slice(0, 80))}`);
    const [, code, sep, text] = m as unknown as [string, string, string, string];
    const entry: ReplyLine = { text };
    this.lines.push(entry);
    if (sep === '+') {
      entry.data = [];
      this.data = entry.data;
      return null;
    }
    if (sep === '-') return null;
    const reply = { status: Number(code), lines: this.lines };
    this.lines = [];
    return reply;
  }
}

/** GETINFO reply → key → value. `key=value` lines and `key=` data blocks; the final "OK" is dropped. */
export function parseGetinfo(reply: ControlReply): Map<string, string> {
  const out = new Map<string, string>();
  for (const l of reply.lines) {
    const eq = l.text.indexOf('=');
    if (eq < 0) continue;
    const key = l.text.slice(0, eq);
    out.set(key, l.data ? l.data.join('\n') : l.text.slice(eq + 1));
  }
  return out;
}

/** The reply as tor sent it (CRLF endings, data blocks dot-stuffed): what a filter passes on. */
export function replyText(reply: ControlReply): string {
  const code = String(reply.status);
  const out: string[] = [];
  reply.lines.forEach((l, i) => {
    if (l.data) {
      out.push(`${code}+${l.text}`, ...l.data.map((d) => (d.startsWith('.') ? `.${d}` : d)), '.');
    } else {
      out.push(`${code}${i === reply.lines.length - 1 ? ' ' : '-'}${l.text}`);
    }
  });
  return out.map((l) => `${l}\r\n`).join('');
}
