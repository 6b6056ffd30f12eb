// Test and bench helper: makes a Qubes v4 backup as Qubes' own documents describe it, with GNU tar, gzip and Debian's scrypt tool.
import { createCipheriv, createHash, createHmac, randomBytes, scryptSync } from 'node:crypto';
import { existsSync, promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { run } from '../../../exec/index.js';

export interface FixtureFile {
  /** Name in the backup (`qubes.xml`, `vm1/private.img`, `vm1/firewall.xml`). */
  name: string;
  /** The file to put there. */
  source: string;
}

export interface FixtureOptions {
  /** Work directory (made by the caller; the backup is written into it). */
  dir: string;
  passphrase: string;
  backupId?: string;
  files: FixtureFile[];
  /** Bytes per chunk of the compressed inner archive (Qubes: 100 MiB). */
  chunkBytes?: number;
  /** scrypt cost, log2 N (the tool picks it from the machine's speed unless told). */
  logN?: number;
  /** 'tool' = Debian's scrypt (when installed), 'node' = the format written with node:crypto. */
  encryptor?: 'tool' | 'node';
  /** Rewrite the list of outer members (name order) before the archive is written: tamper tests. */
  arrange?: (names: string[]) => string[];
  /** Change the encrypted members in the work directory before they are packed (tamper tests). */
  beforePack?: (workDir: string) => Promise<void>;
  /** Header text override (tamper tests). */
  headerText?: string;
  compress?: boolean;
  /** Compressor of the inner archives (Qubes: `gzip`; the bench takes `gzip -1` to build faster). */
  compressProgram?: string;
}

export const SCRYPT_TOOL = existsSync('/usr/bin/scrypt');

export function qubesHeaderText(backupId: string, compressed = true): string {
  return [
    'version=4',
    'encrypted=True',
    `compressed=${compressed ? 'True' : 'False'}`,
    'compression-filter=gzip',
    'hmac-algorithm=scrypt',
    'crypto-algorithm=scrypt',
    `backup-id=${backupId}`,
    '',
  ].join('\n');
}

/** The scrypt tool's format written with node:crypto (for machines without the tool, and the bench's big inputs). */
export function sealScryptFile(data: Buffer, passphrase: string, logN: number, r = 8, p = 1): Buffer {
  const head = Buffer.alloc(96);
  head.write('scrypt', 0, 'ascii');
  head[6] = 0;
  head[7] = logN;
  head.writeUInt32BE(r, 8);
  head.writeUInt32BE(p, 12);
  randomBytes(32).copy(head, 16);
  createHash('sha256').update(head.subarray(0, 48)).digest().copy(head, 48, 0, 16);
  const dk = scryptSync(Buffer.from(passphrase, 'utf8'), head.subarray(16, 48), 64, { N: 2 ** logN, r, p, maxmem: 256 * r * 2 ** logN + (64 << 20) });
  createHmac('sha256', dk.subarray(32)).update(head.subarray(0, 64)).digest().copy(head, 64);
  const c = createCipheriv('aes-256-ctr', dk.subarray(0, 32), Buffer.alloc(16));
  const body = Buffer.concat([head, c.update(data), c.final()]);
  return Buffer.concat([body, createHmac('sha256', dk.subarray(32)).update(body).digest()]);
}

async function encrypt(opts: FixtureOptions, plain: string, out: string, passphrase: string): Promise<void> {
  const logN = opts.logN ?? 10;
  if ((opts.encryptor ?? 'tool') === 'tool' && SCRYPT_TOOL) {
    const pf = `${out}.pass`;
    await fsp.writeFile(pf, passphrase, { mode: 0o600 });
    await run('scrypt', ['enc', '--logN', String(logN), '-r', '8', '-p', '1', '--passphrase', `file:${pf}`, plain, out], { timeoutMs: 120_000 });
    await fsp.rm(pf);
  } else {
    await fsp.writeFile(out, sealScryptFile(await fsp.readFile(plain), passphrase, logN));
  }
}

/** The inner archive of one file, as Qubes makes it: a pax archive, sparse 1.0 for images, gzip'd. */
async function innerArchive(opts: FixtureOptions, f: FixtureFile, out: string): Promise<void> {
  const sparse = f.name.endsWith('.img');
  const args = ['-c', '-f', out, '-C', dirname(f.source), `--transform=s:^${basename(f.source).replace(/\./g, '\\.')}$:${f.name}:`];
  if (sparse) args.push('--posix', '--sparse', '--sparse-version=1.0');
  if (opts.compress !== false) args.push(`--use-compress-program=${opts.compressProgram ?? 'gzip'}`);
  args.push(basename(f.source));
  await run('tar', args, { timeoutMs: 600_000 });
}

/** Build the backup; returns its path. */
export async function makeQubesBackup(opts: FixtureOptions): Promise<string> {
  const id = opts.backupId ?? '20261207T120000-4242';
  const work = join(opts.dir, 'work');
  await fsp.mkdir(work, { recursive: true });
  const header = join(work, 'backup-header');
  await fsp.writeFile(header, opts.headerText ?? qubesHeaderText(id, opts.compress !== false));
  await encrypt(opts, header, `${header}.hmac`, `backup-header!${opts.passphrase}`);
  const names = ['backup-header', 'backup-header.hmac'];
  const chunkBytes = opts.chunkBytes ?? 100 * 1024 * 1024;
  for (const f of opts.files) {
    await fsp.mkdir(join(work, dirname(f.name)), { recursive: true });
    const inner = join(work, `${f.name}.inner`);
    await innerArchive(opts, f, inner);
    const data = await fsp.readFile(inner);
    await fsp.rm(inner);
    for (let i = 0, off = 0; off < data.length || i === 0; i++, off += chunkBytes) {
      const plainName = `${f.name}.${String(i).padStart(3, '0')}`;
      const plain = join(work, plainName);
      await fsp.writeFile(plain, data.subarray(off, off + chunkBytes));
      await encrypt(opts, plain, `${plain}.enc`, `${id}!${plainName}!${opts.passphrase}`);
      await fsp.rm(plain);
      names.push(`${plainName}.enc`);
    }
  }
  await opts.beforePack?.(work);
  return packOuter(work, (opts.arrange ?? ((x) => x))(names), join(opts.dir, 'qubes-backup'));
}

/** The outer archive from the members in `work`, in the order given: Qubes' send worker appends one `tar -c --posix` archive per member. */
export async function packOuter(work: string, names: string[], out: string): Promise<string> {
  await fsp.writeFile(out, '');
  for (const n of names) {
    const part = `${out}.part.tar`;
    await run('tar', ['-c', '--posix', '-f', part, '-C', work, n], { timeoutMs: 600_000 });
    await fsp.appendFile(out, await fsp.readFile(part));
    await fsp.rm(part);
  }
  return out;
}

/** A small ext4 private.img holding `home/user` with the given files (mkfs.ext4 -d), owned by Qubes' user 1000. */
export async function makePrivateImg(dir: string, files: Record<string, string | Buffer>, bytes = 64 * 1024 * 1024): Promise<string> {
  const tree = join(dir, 'private-tree');
  const home = join(tree, 'home', 'user');
  await fsp.mkdir(home, { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    await fsp.mkdir(dirname(join(home, rel)), { recursive: true });
    await fsp.writeFile(join(home, rel), content);
  }
  await run('chown', ['-R', '1000:1000', home], { timeoutMs: 30_000 });
  await fsp.mkdir(join(tree, 'config'), { recursive: true });
  const img = join(dir, 'private.img');
  const fh = await fsp.open(img, 'wx');
  await fh.truncate(bytes);
  await fh.close();
  await run('mkfs.ext4', ['-q', '-F', '-d', tree, img], { timeoutMs: 60_000 });
  await fsp.rm(tree, { recursive: true, force: true });
  return img;
}

/** A qubes.xml as Qubes R4.2 writes it: a template (not in the backup), a firewall qube, a work qube behind it, dom0. */
export function sampleQubesXml(o: { fw?: string; work?: string; workPath?: string; fwPath?: string } = {}): string {
  const fw = o.fw ?? 'q-firewall';
  const work = o.work ?? 'q-work';
  const labels = ['red', 'orange', 'yellow', 'green', 'gray', 'blue', 'purple', 'black']
    .map((l, i) => `    <label color="0x000000" id="label-${i + 1}">${l}</label>`)
    .join('\n');
  const domain = (
    id: number,
    klass: string,
    props: Record<string, string>,
    feats: Record<string, string>,
    tags: string[],
  ) => `    <domain id="domain-${id}" class="${klass}">
      <properties>
${Object.entries(props)
  .map(([k, v]) => `        <property name="${k}">${v}</property>`)
  .join('\n')}
      </properties>
      <features>
${Object.entries(feats)
  .map(([k, v]) => `        <feature name="${k}">${v}</feature>`)
  .join('\n')}
      </features>
      <devices class="pci"/>
      <tags>
${tags.map((t) => `        <tag name="${t}"/>`).join('\n')}
      </tags>
      <volume-config>
        <volume name="private" pool="default" revisions_to_keep="1" rw="True" save_on_stop="True" size="2147483648" vid="appvms/${props.name ?? 'dom0'}/private"/>
      </volume-config>
    </domain>`;
  return `<?xml version='1.0' encoding='UTF-8'?>
<qubes>
  <labels>
${labels}
  </labels>
  <properties>
    <property name="default_netvm">sys-firewall</property>
    <property name="default_template">fedora-39</property>
  </properties>
  <domains>
${domain(0, 'AdminVM', { label: 'label-8' }, {}, [])}
${domain(3, 'TemplateVM', { name: 'fedora-39', label: 'label-8', qid: '3' }, {}, [])}
${domain(5, 'AppVM', { name: fw, label: 'label-2', qid: '5', template: 'fedora-39', provides_network: 'True', netvm: '' }, o.fwPath === undefined ? { 'backup-content': 'True', 'backup-path': 'vm5', 'backup-size': '1000' } : { 'backup-content': 'True', 'backup-path': o.fwPath, 'backup-size': '1000' }, ['created-by-dom0'])}
${domain(7, 'AppVM', { name: work, label: 'label-6', qid: '7', template: 'fedora-39', netvm: fw, memory: '500', maxmem: '2000' }, { 'backup-content': 'True', 'backup-path': o.workPath ?? 'vm7', 'backup-size': '1000', 'service.cups': '1' }, ['created-by-dom0', 'work-data', 'bad tag!'])}
  </domains>
</qubes>
`;
}

/** firewall.xml of the work qube (Qubes R4 format, version 2). */
export const SAMPLE_FIREWALL_XML = `<firewall version="2">
  <rules>
    <rule><properties><property name="action">accept</property><property name="specialtarget">dns</property></properties></rule>
    <rule><properties><property name="action">accept</property><property name="proto">tcp</property><property name="dstports">443</property><property name="dsthost">192.168.7.0/24</property></properties></rule>
    <rule><properties><property name="action">accept</property><property name="proto">icmp</property></properties></rule>
    <rule><properties><property name="action">drop</property></properties></rule>
  </rules>
</firewall>
`;

export const SAMPLE_NOTES = 'notes written in a Qubes qube\n';

/** The sample backup: qubes.xml, q-firewall (vm5) and q-work (vm7: private.img in several chunks, firewall.xml). */
export async function makeSampleBackup(dir: string, o: Partial<FixtureOptions> & { xml?: string } = {}): Promise<string> {
  const src = join(dir, 'src');
  await fsp.mkdir(src, { recursive: true });
  await fsp.writeFile(join(src, 'qubes.xml'), o.xml ?? sampleQubesXml());
  await fsp.writeFile(join(src, 'firewall.xml'), SAMPLE_FIREWALL_XML);
  const imgDir = join(src, 'img');
  await fsp.mkdir(imgDir, { recursive: true });
  // Random bytes do not compress: the private.img's inner archive spans several chunks.
  const img = await makePrivateImg(imgDir, { 'notes.txt': SAMPLE_NOTES, 'Documents/random.bin': randomBytes(96 * 1024) }, 32 * 1024 * 1024);
  return makeQubesBackup({
    dir,
    passphrase: o.passphrase ?? 'correct horse',
    chunkBytes: o.chunkBytes ?? 32 * 1024,
    logN: o.logN ?? 10,
    ...o,
    files: o.files ?? [
      { name: 'qubes.xml', source: join(src, 'qubes.xml') },
      { name: 'vm5/private.img', source: img },
      { name: 'vm7/private.img', source: img },
      { name: 'vm7/firewall.xml', source: join(src, 'firewall.xml') },
    ],
  });
}
