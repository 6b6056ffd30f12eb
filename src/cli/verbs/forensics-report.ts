// `bulkhead forensics report --state DIR` and `forensics anchor`: read a state directory's database, never write it.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { BulkheadError } from '../../errors/index.js';
import { resolvePaths } from '../../daemon/paths.js';
import {
  chainInWorker,
  chainText,
  eventLine,
  formatAnchor,
  headerText,
  HtmlCollector,
  inventoryText,
  json,
  jsonlLine,
  openEvidence,
  parseAnchor,
  ReportPass,
  walkChain,
  type ReportHeader,
} from '../../features/forensics/report/index.js';

/** Exit status when the chain is broken or no longer holds the anchor. */
export const EXIT_CHAIN_BROKEN = 3;
const CHUNK = 1 << 20;

/** Buffers output and writes it in large chunks, waiting when stdout is full. */
class Out {
  // A string built by += (V8 keeps it as a rope until written): cheaper than joining an array of small pieces.
  private buf = '';
  async put(s: string): Promise<void> {
    this.buf += s;
    if (this.buf.length >= CHUNK) await this.flush();
  }
  async flush(): Promise<void> {
    if (!this.buf) return;
    const text = this.buf;
    this.buf = '';
    if (!process.stdout.write(text)) await once(process.stdout, 'drain');
  }
}

/** The tool and version the report names (SP 800-86: record the tools used). */
function version(): string {
  try {
    const pj = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pj.version === 'string' ? `bulkhead ${pj.version}` : 'bulkhead';
  } catch {
    return 'bulkhead';
  }
}

export async function reportVerb(o: { state: string; json?: boolean; jsonl?: boolean; html?: boolean; anchor?: string }) {
  if ([o.json, o.jsonl, o.html].filter(Boolean).length > 1) throw new BulkheadError('ERR_INVALID_VALUE', 'report: give at most one of --json, --jsonl, --html');
  const anchor = o.anchor === undefined ? undefined : parseAnchor(o.anchor);
  const ev = await openEvidence(o.state);
  const out = new Out();
  try {
    const header: ReportHeader = { tool: version(), generatedAt: new Date().toISOString(), stateDir: ev.stateDir, files: ev.files };
    // The chain is verified on a second thread while this one formats the timeline.
    const pass = new ReportPass(ev.db, ev.stateDir, anchor, chainInWorker(ev.dbPath, anchor, ev.db));
    if (o.html) {
      const html = new HtmlCollector();
      for (const e of pass.events()) html.add(e);
      await out.put(html.page(header, await pass.summary()));
    } else if (o.json) {
      await out.put(json.open(header));
      let first = true;
      for (const e of pass.events()) {
        await out.put(json.event(e, first));
        first = false;
      }
      await out.put(json.close(await pass.summary()));
    } else if (o.jsonl) {
      for (const e of pass.events()) await out.put(jsonlLine(e));
    } else {
      await out.put(headerText(header));
      const lines: string[] = [];
      for (const e of pass.events()) lines.push(eventLine(e));
      const s = await pass.summary();
      await out.put(inventoryText(s.inventory, s.removed));
      await out.put('timeline:\n');
      for (const l of lines) await out.put(l);
    }
    await out.flush();
    const s = await pass.summary();
    const ok = s.chain.ok;
    // The chain's verdict always reaches stderr too, so a JSON or HTML consumer cannot miss it.
    return { stdout: '', stderr: chainText(s.chain), exitCode: ok ? 0 : EXIT_CHAIN_BROKEN };
  } finally {
    ev.close();
  }
}

export async function anchorVerb(o: { state?: string; json?: boolean }) {
  const ev = await openEvidence(o.state ?? resolvePaths().home);
  try {
    const c = walkChain(ev.db);
    if (!c.ok) return { stdout: '', stderr: chainText(c), exitCode: EXIT_CHAIN_BROKEN };
    const a = { hash: c.head, length: c.rows };
    return o.json ? `${JSON.stringify({ ...a, anchor: formatAnchor(a), at: new Date().toISOString() })}\n` : `${formatAnchor(a)}\n`;
  } finally {
    ev.close();
  }
}
