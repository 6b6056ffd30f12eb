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

type DaemonOpts = { shutdownQubes?: boolean; timeout?: string; force?: boolean; unitDir?: string };
const daemonAct = (a: string) => act(async (o: DaemonOpts) => (await import('./verbs/daemon.js')).daemon(a, o));
const daemonCmd = program.command('daemon').description('start, stop or show the admin daemon; install or uninstall its systemd unit');
daemonCmd.command('start').description('run bulkheadd in the background for this session').action(daemonAct('start'));
daemonCmd
  .command('stop')
  .description('stop bulkheadd (qubes keep running unless --shutdown-qubes)')
  .option('--shutdown-qubes', 'first shut every qube down in netvm-chain order')
  .option('--timeout <seconds>', 'with --shutdown-qubes: the whole shutdown ends within this (default 60), then kills')
  .action(daemonAct('stop'));
daemonCmd.command('status').description('whether bulkheadd runs, its pid, prefix and state directory').action(daemonAct('status'));
daemonCmd
  .command('install')
  .description('write the systemd unit (started at boot, restarted on failure)')
  .option('--force', 'replace a differing unit')
  .option('--unit-dir <dir>', 'where the unit goes (default /etc/systemd/system)')
  .action(daemonAct('install'));
daemonCmd
  .command('uninstall')
  .description('disable and remove the systemd unit')
  .option('--force', 'remove a unit bulkhead did not write')
  .option('--unit-dir <dir>', 'where the unit is (default /etc/systemd/system)')
  .action(daemonAct('uninstall'));

const dashboardCmd = program.command('dashboard').description('the web dashboard (Qube Manager) on 127.0.0.1, port from the global dashboard_port');
dashboardCmd
  .command('url')
  .description('print a login link with a one-time secret (last line)')
  .action(act(async () => (await import('./verbs/dashboard.js')).dashboardUrl()));

program
  .command('create')
  .description('create a qube (qvm-create)')
  .argument('<name>')
  .addOption(new Option('--class <class>', 'app|template|standalone').default('app'))
  .option('--template <template>', 'template to boot from')
  .requiredOption('--label <colour>', 'trust colour')
  .option('--prop <key=value>', 'set a property (repeatable)', collect)
  .option('--encrypted', "encrypt the private volume (and a standalone's root) at rest under a passphrase")
  .option('--passphrase-file <file>', "with --encrypted: the passphrase (the file's content; else asked on the terminal)")
  .action(
    act(async (n: string, o: { class: string; template?: string; label: string; prop?: string[]; encrypted?: boolean; passphraseFile?: string }) =>
      (await import('./verbs/qubes.js')).create(n, o),
    ),
  );

program
  .command('ls')
  .description('list qubes (qvm-ls)')
  .option('--json', 'JSON output')
  .action(act(async (o: { json?: boolean }) => (await import('./verbs/qubes.js')).ls(o)));
program
  .command('start')
  .description('start qubes (qvm-start)')
  .argument('<names...>')
  .option('--passphrase-file <file>', 'passphrase of an encrypted qube (else asked on the terminal)')
  .action(act(async (n: string[], o: { passphraseFile?: string }) => (await import('./verbs/qubes.js')).start(n, o)));
program
  .command('shutdown')
  .description('shut qubes down (qvm-shutdown)')
  .argument('[names...]')
  .option('--all', 'every running qube, in netvm-chain order: users first, sys-net last')
  .option('--wait', 'wait for the qube to stop (the daemon always does)')
  .option('--timeout <seconds>', 'kill after this long (with --all: the whole shutdown)')
  .option('--force', 'even if other running qubes use it as netvm')
  .action(
    act(async (n: string[], o: { wait?: boolean; timeout?: string; force?: boolean; all?: boolean }) => (await import('./verbs/qubes.js')).shutdown(n, o)),
  );
for (const verb of ['kill', 'pause', 'unpause'] as const) {
  program
    .command(verb)
    .description(`${verb} qubes (qvm-${verb})`)
    .argument('<names...>')
    .action(act(async (n: string[]) => (await import('./verbs/qubes.js')).simple(verb, n)));
}
program
  .command('clone')
  .description('clone a qube (qvm-clone)')
  .argument('<source>')
  .argument('<name>')
  .action(act(async (s: string, d: string) => (await import('./verbs/qubes.js')).clone(s, d)));
program
  .command('remove')
  .description('remove qubes (qvm-remove)')
  .argument('<names...>')
  .option('--force', 'also delete a private volume that holds data')
  .action(act(async (n: string[], o: { force?: boolean }) => (await import('./verbs/qubes.js')).remove(n, o)));
program
  .command('prefs')
  .description('show or set properties (qvm-prefs)')
  .argument('<name>')
  .argument('[key]')
  .argument('[value]')
  .option('--reset', 'reset the property to its default')
  .option('--json', 'JSON output')
  .action(
    act(async (n: string, k: string | undefined, v: string | undefined, o: { reset?: boolean; json?: boolean }) =>
      (await import('./verbs/prefs.js')).prefs(n, k, v, o),
    ),
  );
program
  .command('tags')
  .description('list, add or remove tags (qvm-tags)')
  .argument('<name>')
  .argument('[action]', 'list|add|del')
  .argument('[tags...]')
  .action(act(async (n: string, a: string | undefined, t: string[]) => (await import('./verbs/prefs.js')).tags(n, a, t)));
program
  .command('features')
  .description('show or set features (qvm-features)')
  .argument('<name>')
  .argument('[key]')
  .argument('[value]')
  .option('--unset', 'remove the feature')
  .action(
    act(async (n: string, k: string | undefined, v: string | undefined, o: { unset?: boolean }) => (await import('./verbs/prefs.js')).features(n, k, v, o)),
  );
program
  .command('global')
  .description('show or set global properties (qubes-prefs)')
  .argument('[key]')
  .argument('[value]')
  .action(act(async (k: string | undefined, v: string | undefined) => (await import('./verbs/prefs.js')).globals(k, v)));

program
  .command('run')
  .description('run a command in a qube or a new disposable (qvm-run)')
  .argument('[name]', 'qube (omit with --dispvm)')
  .argument('[cmd...]', 'command after --')
  .option('--user <user>', 'user inside the qube')
  .option('--dispvm [template]', 'run in a new disposable')
  .option('--no-autostart', 'fail if the qube is not running')
  .option('--app <name>', "an application of the qube's template (bulkhead apps QUBE) instead of a command")
  .passThroughOptions()
  .action(
    act(async (n: string | undefined, cmd: string[], o: { user?: string; dispvm?: string | boolean; autostart?: boolean; app?: string }) =>
      (await import('./verbs/run.js')).runVerb(n, cmd, o),
    ),
  );
program
  .command('apps')
  .description("list the desktop applications of a qube's template (its .desktop files)")
  .argument('<name>')
  .option('--all', 'also those marked NoDisplay')
  .option('--json', 'as JSON')
  .action(act(async (n: string, o: { all?: boolean; json?: boolean }) => (await import('./verbs/apps.js')).appsVerb(n, o)));

const template = program.command('template').description('build, import or list templates');
template
  .command('build')
  .description('build a Debian template with mmdebstrap (cached)')
  .argument('<name>')
  .option('--flavor <set>', 'package set: debian-12, debian-12-gateway, debian-12-workstation')
  .option('--refresh', 'rebuild even when cached')
  .action(act(async (n: string, o: { flavor?: string; refresh?: boolean }) => (await import('./verbs/template.js')).templateVerb('build', n, undefined, o)));
template
  .command('import')
  .description('import a root filesystem as a template')
  .argument('<name>')
  .argument('<source>', 'directory or tarball')
  .action(act(async (n: string, s: string) => (await import('./verbs/template.js')).templateVerb('import', n, s, {})));
template
  .command('list')
  .description('the templates and whether they run')
  .action(act(async () => (await import('./verbs/template.js')).templateVerb('list', undefined, undefined, {})));

const policy = program.command('policy').description('evaluate or lint RPC policy offline');
policy
  .command('eval')
  .description('decide one call against a policy directory and a system description')
  .requiredOption('--policy-dir <dir>', 'policy directory (repeatable)', collect)
  .requiredOption('--system <file>', 'system description JSON')
  .requiredOption('--source <qube>')
  .requiredOption('--target <qube>')
  .requiredOption('--service <svc[+arg]>')
  .option('--json', 'JSON output')
  .action(
    act(async (o: { policyDir: string[]; system: string; source: string; target: string; service: string; json?: boolean }) =>
      (await import('./verbs/policy-eval.js')).policyEval({ ...o, json: !!o.json }),
    ),
  );
policy
  .command('lint')
  .description('report every error in policy directories with file:line')
  .argument('<dirs...>')
  .action(act(async (d: string[]) => (await import('./verbs/policy-lint.js')).policyLint(d)));

const lab = program.command('lab').description('the sealed lab world: up, down, status');
lab
  .command('up')
  .description('start the lab hosts and its private Tor network')
  .option('--json', 'JSON output')
  .option('--no-tor', 'without the private Tor network')
  .action(act(async (o: { json?: boolean; tor?: boolean }) => (await import('./verbs/lab.js')).labUpVerb(o)));
lab
  .command('down')
  .description('stop the lab and remove its namespaces')
  .option('--json', 'JSON output')
  .action(act(async (o: { json?: boolean }) => (await import('./verbs/lab.js')).labDownVerb(o)));
lab
  .command('status')
  .description('the lab hosts, uplinks and Tor network (exit 1 when down)')
  .option('--json', 'JSON output')
  .action(act(async (o: { json?: boolean }) => (await import('./verbs/lab.js')).labStatusVerb(o)));

program
  .command('init')
  .description("Qubes' first-boot defaults: default-dvm; with --uplink lab|host, sys-net and sys-firewall")
  .option('--uplink <kind>', "lab (the sealed lab world) or host (the host's network)")
  .option('--template <name>', 'template of the new qubes')
  .option('--nic <iface>', "host: the host's interface (default: the one of its default route)")
  .option('--mode <mode>', 'host: exclusive (the NIC moves into sys-net; the host keeps no network) or nat (the host keeps it and routes sys-net)')
  .option('--address <cidr>', 'host, exclusive: static address (e.g. 192.168.1.20/24) instead of DHCP')
  .option('--gateway <ip>', 'host, exclusive: static default gateway')
  .option('--dns <ip...>', "host: DNS servers for sys-net (instead of DHCP's or the host's)")
  .option('--whonix', 'also sys-whonix (gateway), anon-whonix (workstation) and whonix-dvm')
  .action(
    act(async (o: { uplink?: string; template?: string; whonix?: boolean; nic?: string; mode?: string; address?: string; gateway?: string; dns?: string[] }) =>
      (await import('./verbs/init.js')).initVerb(o),
    ),
  );
program
  .command('firewall')
  .description("list or edit a qube's firewall (qvm-firewall)")
  .argument('<name>')
  .argument('[action]', 'list|add|del|reset')
  .argument('[rule...]')
  .option('--before <n>', 'insert before rule N')
  .option('--json', 'JSON output')
  .action(
    act(async (n: string, a: string | undefined, r: string[], o: { before?: string; json?: boolean }) =>
      (await import('./verbs/firewall.js')).firewallVerb(n, a, r, o),
    ),
  );

program
  .command('check')
  .description("check a workstation as Whonix's systemcheck does: Tor, pages, DNS, stream isolation, identity, no direct reach")
  .argument('<workstation>')
  .option('--json', 'JSON output')
  .action(act(async (n: string, o: { json?: boolean }) => (await import('./verbs/check.js')).checkVerb(n, o)));

const gateway = program.command('gateway').description('gateways (Whonix-Gateway): their bridges');
const bridges = gateway
  .command('bridges')
  .description("set, list or clear a gateway's bridges (obfs4 or plain lines; used from its next start, at once if it runs)");
bridges
  .command('set')
  .description("replace the gateway's bridges")
  .argument('<gateway>')
  .argument('[lines...]', "bridge lines, each one argument ('obfs4 IP:PORT FINGERPRINT cert=... iat-mode=0' or 'IP:PORT [FINGERPRINT]')")
  .option('--file <file>', 'read bridge lines from a file (blank lines and # comments skipped)')
  .option('--json', 'JSON output')
  .action(act(async (g: string, l: string[], o: { file?: string; json?: boolean }) => (await import('./verbs/gateway.js')).bridgesVerb('set', g, l, o)));
bridges
  .command('list')
  .description("the gateway's bridges")
  .argument('<gateway>')
  .option('--json', 'JSON output')
  .action(act(async (g: string, o: { json?: boolean }) => (await import('./verbs/gateway.js')).bridgesVerb('list', g, [], o)));
bridges
  .command('clear')
  .description('remove every bridge: the gateway connects to the Tor network directly')
  .argument('<gateway>')
  .option('--json', 'JSON output')
  .action(act(async (g: string, o: { json?: boolean }) => (await import('./verbs/gateway.js')).bridgesVerb('clear', g, [], o)));

const rpc = program.command('rpc').description('RPC calls between qubes: pending asks and their answers');
rpc
  .command('pending')
  .description('list calls waiting for an answer (policy said ask)')
  .option('--json', 'JSON output')
  .action(act(async (o: { json?: boolean }) => (await import('./verbs/rpc.js')).rpcPending(o)));
rpc
  .command('answer')
  .description('answer a pending call: allow [--target QUBE] or deny')
  .argument('<id>')
  .argument('<answer>', 'allow|deny')
  .option('--target <qube>', 'which candidate receives the call (allow)')
  .action(act(async (id: string, a: string, o: { target?: string }) => (await import('./verbs/rpc.js')).rpcAnswer(id, a, o)));
program
  .command('gui')
  .description("show qubes' windows on an X display, framed in their label colour (the window service; Wayland through XWayland)")
  .option('--display <display>', 'the X display (default $DISPLAY)')
  .option('--stop', 'end the window service of that display')
  .action(act(async (o: { display?: string; stop?: boolean }) => (await import('./verbs/gui.js')).gui(o)));
const clipboard = program.command('clipboard').description("copy a qube's clipboard to the admin side, or paste it into a qube (policy qubes.ClipboardPaste)");
clipboard
  .command('copy')
  .description("take the qube's clipboard into the admin's global clipboard")
  .argument('<qube>')
  .action(act(async (q: string) => (await import('./verbs/rpc.js')).clipboardVerb('copy', q)));
clipboard
  .command('paste')
  .description('give the global clipboard to the qube, once, if the policy allows')
  .argument('<qube>')
  .action(act(async (q: string) => (await import('./verbs/rpc.js')).clipboardVerb('paste', q)));

const volume = program
  .command('volume')
  .description("a qube's volumes and sizes; revisions and revert of its private volume or a template's root; resize (qvm-volume)");
const volumeAct = (a: string) =>
  act(async (n: string | undefined, r: string | undefined, x: string | undefined, o: { json?: boolean }) =>
    (await import('./verbs/volume.js')).volumeVerb(a, n, r, x, o),
  );
volume
  .command('list')
  .description("a qube's volumes and sizes")
  .argument('<name>')
  .option('--json', 'JSON output')
  .action(act(async (n: string, o: { json?: boolean }) => (await import('./verbs/volume.js')).volumeVerb('list', n, undefined, undefined, o)));
volume
  .command('info')
  .description("a qube's volumes: sizes, limits, where they live")
  .argument('<name>')
  .option('--json', 'JSON output')
  .action(act(async (n: string, o: { json?: boolean }) => (await import('./verbs/volume.js')).volumeVerb('info', n, undefined, undefined, o)));
volume
  .command('revisions')
  .description("the kept revisions of a qube's private volume (or a template's root)")
  .argument('<name>')
  .argument('[volume]', 'root or private')
  .option('--json', 'JSON output')
  .action(
    act(async (n: string, v: string | undefined, o: { json?: boolean }) => (await import('./verbs/volume.js')).volumeVerb('revisions', n, v, undefined, o)),
  );
volume
  .command('revert')
  .description("go back to a revision of the private volume, or of a template's root (`revert T root [REV]`)")
  .argument('<name>')
  .argument('[volume-or-revision]', 'root, private, or a revision of the private volume')
  .argument('[revision]', 'a revision (after root or private)')
  .option('--json', 'JSON output')
  .action(volumeAct('revert'));
volume
  .command('resize')
  .description('grow a volume (never shrinks)')
  .argument('<name>')
  .argument('<volume>', 'private, root or volatile')
  .argument('<size>', 'bytes, or 2G, 512M')
  .option('--json', 'JSON output')
  .action(volumeAct('resize'));
volume
  .command('passphrase')
  .description("change an encrypted qube's passphrase (the data is not encrypted again)")
  .argument('<name>')
  .option('--old-file <file>', 'the current passphrase (else asked on the terminal)')
  .option('--new-file <file>', 'the new passphrase (else asked twice on the terminal)')
  .action(
    act(async (n: string, o: { oldFile?: string; newFile?: string }) =>
      (await import('./verbs/volume.js')).volumeVerb('passphrase', n, undefined, undefined, o),
    ),
  );

const backup = program.command('backup').description('encrypted, authenticated backups of qubes (qvm-backup, qvm-backup-restore)');
backup
  .command('create')
  .description('back up stopped qubes (records, firewall, private volumes, standalone and template roots) into a new FILE')
  .argument('<file>')
  .argument('<qubes...>')
  .option('--passphrase-file <file>', 'read the passphrase from this file (else asked at the terminal)')
  .option('--templates', 'also back up the templates the qubes boot from')
  .action(
    act(async (f: string, q: string[], o: { passphraseFile?: string; templates?: boolean }) => (await import('./verbs/backup.js')).backupCreate(f, q, o)),
  );
type RestoreOpts = { qubes?: string; passphraseFile?: string; renameConflicts?: boolean; skipConflicts?: boolean; verifyOnly?: boolean; json?: boolean };
backup
  .command('restore')
  .description(
    "restore qubes from bulkhead's FILE, or with --qubes from a Qubes OS 4.x backup (qvm-backup-restore); the whole file is verified before any qube appears",
  )
  .argument('[file-and-qubes...]', 'FILE [QUBE…] (all qubes, or those named); with --qubes only QUBE…')
  .option('--qubes <file>', 'a Qubes OS 4.x backup file (format version 4)')
  .option('--passphrase-file <file>', 'read the passphrase from this file (else asked at the terminal)')
  .option('--rename-conflicts', 'restore a qube whose name is taken as NAME1, NAME2, …')
  .option('--skip-conflicts', 'skip a qube whose name is taken (the default)')
  .option('--verify-only', 'with --qubes: check the backup and the plan; create nothing')
  .option('--json', 'with --qubes: JSON output')
  .action(
    act(async (args: string[], o: RestoreOpts) => {
      if (o.qubes !== undefined) return (await import('./verbs/backup-qubes.js')).restoreQubes(args, { ...o, qubes: o.qubes });
      const [file, ...names] = args;
      if (!file) throw new Error('backup restore: give FILE [QUBE…], or --qubes FILE for a Qubes OS backup');
      return (await import('./verbs/backup.js')).backupRestore(file, names, o);
    }),
  );
backup
  .command('verify')
  .description('check every record of FILE (passphrase, integrity, order, completeness) without restoring')
  .argument('<file>')
  .option('--passphrase-file <file>', 'read the passphrase from this file (else asked at the terminal)')
  .action(act(async (f: string, o: { passphraseFile?: string }) => (await import('./verbs/backup.js')).backupVerify(f, o)));

/** forensics residue|acquire: the proof that amnesic disposables leave nothing, and acquisition of a qube. */
function registerForensicsResidue(forensics: Command): void {
  forensics
    .command('residue')
    .description(
      'run a disposable that writes a random canary everywhere it can, end it, and scan the state directory, /tmp, /var/tmp, the journal and the raw device for it',
    )
    .option('--template <dvm>', 'disposable template (default: default_dispvm)')
    .option('--device <path>', "scan this block device or image raw (default: the state directory's own, if it has one)")
    .option('--only <places>', 'comma-separated subset of state,tmp,journal,device')
    .option('--bytes <n>', 'canary bytes per place (default 262144)')
    .option('--json', 'JSON output')
    .action(
      act(async (o: { template?: string; device?: string; only?: string; bytes?: string; json?: boolean }) =>
        (await import('./verbs/forensics-residue.js')).residueVerb(o),
      ),
    );
  forensics
    .command('acquire')
    .description(
      'acquire a running or halted qube: private volume as a raw ext4 image, root changes, processes and their memory (running), manifest with SHA-256',
    )
    .argument('<qube>')
    .requiredOption('--out <dir>', 'new directory for the artefacts')
    .option('--no-memory', 'running qube: leave out the memory of its processes')
    .option('--json', 'JSON output')
    .action(act(async (q: string, o: { out: string; memory: boolean; json?: boolean }) => (await import('./verbs/forensics-acquire.js')).acquireVerb(q, o)));
}
const forensics = program
  .command('forensics')
  .description("forensic transparency: what bulkhead leaves on the host (footprint, residue proof), acquisition, and the examiner's report");
registerFootprintReport(forensics, act);
registerForensicsResidue(forensics);

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`bulkhead: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
