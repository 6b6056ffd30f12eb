// bulkhead: the CLI. Every verb is declared here and loads its code only when used.
import { Command, Option } from 'commander';
import { registerFootprintReport } from './verbs/forensics.js';

type Out = string | { stdout: string; exitCode: number; stderr?: string };

function act(load: (...args: never[]) => Promise<Out>) {
  return async (...args: unknown[]) => {
    try {
      const out = await load(...(args as never[]));
      if (typeof out === 'string') process.stdout.write(out);
      else {
        process.stdout.write(out.stdout);
        if (out.stderr) process.stderr.write(out.stderr);
        process.exitCode = out.exitCode;
      }
    } catch (e) {
      const err = e as { message?: string; code?: string };
      process.stderr.write(`bulkhead: ${err.message ?? String(e)}\n`);
      process.exitCode = process.exitCode || 1;
    }
  };
}
const collect = (v: string, prev: string[] = []) => [...prev, v];

const program = new Command('bulkhead')
  .description('Qubes-style compartments and a Whonix-style Tor gateway on a plain Linux host')
  .showHelpAfterError()
  .enablePositionalOptions()
  .configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error:') ? `bulkhead: ${s}` : s) });
program.exitOverride((e) => process.exit(e.exitCode === 0 ? 0 : 2));

program.command('daemon').description('start, stop or show the admin daemon; install or uninstall its systemd unit').argument('<action>', 'start|stop|status|install|uninstall')
  .option('--shutdown-qubes', 'stop: first shut every qube down in netvm-chain order').option('--timeout <seconds>', 'stop --shutdown-qubes: the whole shutdown ends within this (default 60), then kills')
  .option('--force', 'install: replace a differing unit; uninstall: remove a unit bulkhead did not write').option('--unit-dir <dir>', 'install, uninstall: where the unit goes (default /etc/systemd/system)')
  .action(act(async (a: string, o: { shutdownQubes?: boolean; timeout?: string; force?: boolean; unitDir?: string }) => (await import('./verbs/daemon.js')).daemon(a, o)));

program.command('create').description('create a qube (qvm-create)').argument('<name>')
  .addOption(new Option('--class <class>', 'app|template|standalone').default('app'))
  .option('--template <template>', 'template to boot from')
  .requiredOption('--label <colour>', 'trust colour')
  .option('--prop <key=value>', 'set a property (repeatable)', collect)
  .action(act(async (n: string, o: { class: string; template?: string; label: string; prop?: string[] }) => (await import('./verbs/qubes.js')).create(n, o)));

program.command('ls').description('list qubes (qvm-ls)').option('--json', 'JSON output')
  .action(act(async (o: { json?: boolean }) => (await import('./verbs/qubes.js')).ls(o)));
program.command('start').description('start qubes (qvm-start)').argument('<names...>')
  .action(act(async (n: string[]) => (await import('./verbs/qubes.js')).start(n)));
program.command('shutdown').description('shut qubes down (qvm-shutdown)').argument('[names...]')
  .option('--all', 'every running qube, in netvm-chain order: users first, sys-net last').option('--wait', 'wait for the qube to stop (the daemon always does)').option('--timeout <seconds>', 'kill after this long (with --all: the whole shutdown)').option('--force', 'even if other running qubes use it as netvm')
  .action(act(async (n: string[], o: { wait?: boolean; timeout?: string; force?: boolean; all?: boolean }) => (await import('./verbs/qubes.js')).shutdown(n, o)));
for (const verb of ['kill', 'pause', 'unpause'] as const) {
  program.command(verb).description(`${verb} qubes (qvm-${verb})`).argument('<names...>')
    .action(act(async (n: string[]) => (await import('./verbs/qubes.js')).simple(verb, n)));
}
program.command('clone').description('clone a qube (qvm-clone)').argument('<source>').argument('<name>')
  .action(act(async (s: string, d: string) => (await import('./verbs/qubes.js')).clone(s, d)));
program.command('remove').description('remove qubes (qvm-remove)').argument('<names...>').option('--force', 'also delete a private volume that holds data')
  .action(act(async (n: string[], o: { force?: boolean }) => (await import('./verbs/qubes.js')).remove(n, o)));
program.command('prefs').description('show or set properties (qvm-prefs)').argument('<name>').argument('[key]').argument('[value]')
  .option('--reset', 'reset the property to its default').option('--json', 'JSON output')
  .action(act(async (n: string, k: string | undefined, v: string | undefined, o: { reset?: boolean; json?: boolean }) => (await import('./verbs/prefs.js')).prefs(n, k, v, o)));
program.command('tags').description('list, add or remove tags (qvm-tags)').argument('<name>').argument('[action]', 'list|add|del').argument('[tags...]')
  .action(act(async (n: string, a: string | undefined, t: string[]) => (await import('./verbs/prefs.js')).tags(n, a, t)));
program.command('features').description('show or set features (qvm-features)').argument('<name>').argument('[key]').argument('[value]').option('--unset', 'remove the feature')
  .action(act(async (n: string, k: string | undefined, v: string | undefined, o: { unset?: boolean }) => (await import('./verbs/prefs.js')).features(n, k, v, o)));
program.command('global').description('show or set global properties (qubes-prefs)').argument('[key]').argument('[value]')
  .action(act(async (k: string | undefined, v: string | undefined) => (await import('./verbs/prefs.js')).globals(k, v)));

program.command('run').description('run a command in a qube or a new disposable (qvm-run)')
  .argument('[name]', 'qube (omit with --dispvm)').argument('[cmd...]', 'command after --')
  .option('--user <user>', 'user inside the qube').option('--dispvm [template]', 'run in a new disposable')
  .option('--no-autostart', 'fail if the qube is not running')
  .passThroughOptions()
  .action(act(async (n: string | undefined, cmd: string[], o: { user?: string; dispvm?: string | boolean; autostart?: boolean }) => (await import('./verbs/run.js')).runVerb(n, cmd, o)));

program.command('template').description('build, import or list templates').argument('<action>', 'build|import|list').argument('[name]').argument('[source]', 'directory or tarball (import)')
  .option('--flavor <set>', 'package set: debian-12, debian-12-gateway, debian-12-workstation').option('--refresh', 'rebuild even when cached')
  .action(act(async (a: string, n: string | undefined, s: string | undefined, o: { flavor?: string; refresh?: boolean }) => (await import('./verbs/template.js')).templateVerb(a, n, s, o)));

const policy = program.command('policy').description('evaluate or lint RPC policy offline');
policy.command('eval').description('decide one call against a policy directory and a system description')
  .requiredOption('--policy-dir <dir>', 'policy directory (repeatable)', collect).requiredOption('--system <file>', 'system description JSON')
  .requiredOption('--source <qube>').requiredOption('--target <qube>').requiredOption('--service <svc[+arg]>').option('--json', 'JSON output')
  .action(act(async (o: { policyDir: string[]; system: string; source: string; target: string; service: string; json?: boolean }) => (await import('./verbs/policy-eval.js')).policyEval({ ...o, json: !!o.json })));
policy.command('lint').description('report every error in policy directories with file:line').argument('<dirs...>')
  .action(act(async (d: string[]) => (await import('./verbs/policy-lint.js')).policyLint(d)));

const lab = program.command('lab').description('the sealed lab world: up, down, status');
lab.command('up').description('start the lab hosts and its private Tor network').option('--json', 'JSON output').option('--no-tor', 'without the private Tor network')
  .action(act(async (o: { json?: boolean; tor?: boolean }) => (await import('./verbs/lab.js')).labUpVerb(o)));
lab.command('down').description('stop the lab and remove its namespaces').option('--json', 'JSON output')
  .action(act(async (o: { json?: boolean }) => (await import('./verbs/lab.js')).labDownVerb(o)));
lab.command('status').description('the lab hosts, uplinks and Tor network (exit 1 when down)').option('--json', 'JSON output')
  .action(act(async (o: { json?: boolean }) => (await import('./verbs/lab.js')).labStatusVerb(o)));

program.command('init').description("Qubes' first-boot defaults: default-dvm; with --uplink lab, sys-net and sys-firewall")
  .option('--uplink <kind>', 'lab (the sealed lab world)').option('--template <name>', 'template of the new qubes')
  .option('--whonix', 'also sys-whonix (gateway), anon-whonix (workstation) and whonix-dvm')
  .action(act(async (o: { uplink?: string; template?: string; whonix?: boolean }) => (await import('./verbs/init.js')).initVerb(o)));
program.command('firewall').description('list or edit a qube\'s firewall (qvm-firewall)').argument('<name>').argument('[action]', 'list|add|del|reset').argument('[rule...]')
  .option('--before <n>', 'insert before rule N').option('--json', 'JSON output')
  .action(act(async (n: string, a: string | undefined, r: string[], o: { before?: string; json?: boolean }) => (await import('./verbs/firewall.js')).firewallVerb(n, a, r, o)));

program.command('check').description("check a workstation as Whonix's systemcheck does: Tor, pages, DNS, stream isolation, identity, no direct reach")
  .argument('<workstation>').option('--json', 'JSON output')
  .action(act(async (n: string, o: { json?: boolean }) => (await import('./verbs/check.js')).checkVerb(n, o)));

const gateway = program.command('gateway').description('gateways (Whonix-Gateway): their bridges');
gateway.command('bridges').description("set, list or clear a gateway's bridges (obfs4 or plain lines; used from its next start, at once if it runs)")
  .argument('<action>', 'set|list|clear').argument('<gateway>').argument('[lines...]', "set: bridge lines, each one argument ('obfs4 IP:PORT FINGERPRINT cert=... iat-mode=0' or 'IP:PORT [FINGERPRINT]')")
  .option('--file <file>', 'set: read bridge lines from a file (blank lines and # comments skipped)').option('--json', 'JSON output')
  .action(act(async (a: string, g: string, l: string[], o: { file?: string; json?: boolean }) => (await import('./verbs/gateway.js')).bridgesVerb(a, g, l, o)));

const rpc = program.command('rpc').description('RPC calls between qubes: pending asks and their answers');
rpc.command('pending').description('list calls waiting for an answer (policy said ask)').option('--json', 'JSON output')
  .action(act(async (o: { json?: boolean }) => (await import('./verbs/rpc.js')).rpcPending(o)));
rpc.command('answer').description('answer a pending call: allow [--target QUBE] or deny').argument('<id>').argument('<answer>', 'allow|deny')
  .option('--target <qube>', 'which candidate receives the call (allow)')
  .action(act(async (id: string, a: string, o: { target?: string }) => (await import('./verbs/rpc.js')).rpcAnswer(id, a, o)));
program.command('clipboard').description("copy a qube's clipboard to the admin side, or paste it into a qube (policy qubes.ClipboardPaste)")
  .argument('<action>', 'copy|paste').argument('<qube>')
  .action(act(async (a: string, q: string) => (await import('./verbs/rpc.js')).clipboardVerb(a, q)));

program.command('volume').description("a qube's volumes and sizes; revisions and revert of its private volume or a template's root; resize (qvm-volume)").argument('<action>', 'list|info|revisions|revert|resize').argument('[name]').argument('[volume-or-revision]', 'root, private, or a revision of the private volume; the volume to resize').argument('[revision-or-size]', 'revision (revert), new size (resize: bytes, or 2G, 512M)')
  .option('--json', 'JSON output')
  .action(act(async (a: string, n: string | undefined, r: string | undefined, x: string | undefined, o: { json?: boolean }) => (await import('./verbs/volume.js')).volumeVerb(a, n, r, x, o)));

const forensics = program.command('forensics').description('what bulkhead leaves on the host, and the examiner\'s side: footprint, report, anchor');
registerFootprintReport(forensics, act);

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`bulkhead: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
