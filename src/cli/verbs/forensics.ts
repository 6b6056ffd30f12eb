// Declares `bulkhead forensics footprint|report|anchor` on the `forensics` command; each loads its code only when used.
import type { Command } from 'commander';

type Out = string | { stdout: string; exitCode: number; stderr?: string };
/** main.ts's wrapper that prints a verb's result or error. */
export type Act = (load: (...args: never[]) => Promise<Out>) => (...args: unknown[]) => Promise<void>;

export function registerFootprintReport(forensics: Command, act: Act): void {
  forensics
    .command('footprint')
    .description(
      'every artefact bulkhead creates on this host, per layer: path, what it reveals, whether it survives removal and reboot, encrypted or not, how to show it',
    )
    .option('--json', 'JSON output')
    .option('--markdown', 'the Markdown table of docs/forensics.md')
    .action(act(async (o: { json?: boolean; markdown?: boolean }) => (await import('./forensics-footprint.js')).footprintVerb(o)));
  forensics
    .command('report')
    .description(
      "the examiner's report of a (copied) state directory, offline and read-only: qube inventory, cross-qube timeline, audit chain verified (exit 3 when broken)",
    )
    .requiredOption('--state <dir>', 'the state directory (a copy; it is only read)')
    .option('--json', 'JSON output')
    .option('--jsonl', 'the timeline as JSON lines (Timesketch/plaso fields)')
    .option('--html', 'a self-contained HTML page with a timeline chart')
    .option('--anchor <hash:length>', 'an anchor recorded earlier with `forensics anchor`: fail when the chain no longer holds it')
    .action(
      act(async (o: { state: string; json?: boolean; jsonl?: boolean; html?: boolean; anchor?: string }) =>
        (await import('./forensics-report.js')).reportVerb(o),
      ),
    );
  forensics
    .command('anchor')
    .description("the audit chain's head hash and length (HASH:LENGTH), to record now and check later with `forensics report --anchor`")
    .option('--state <dir>', 'the state directory (default $BULKHEAD_HOME)')
    .option('--json', 'JSON output')
    .action(act(async (o: { state?: string; json?: boolean }) => (await import('./forensics-report.js')).anchorVerb(o)));
}
