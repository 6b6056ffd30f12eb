// A certificate authority made fresh for each lab (openssl, EC P-256) and one server certificate for the lab's web hosts.
import { chmod } from 'node:fs/promises';
import { run } from '../exec/index.js';
import { LAB_HOSTS, LAB_WILDCARD_DOMAINS } from '../model/lab-plan.js';
import { labFile } from './state.js';

import { CA_CERT, CA_KEY, SERVER_CERT, SERVER_KEY } from './files.js';

export { CA_CERT, CA_KEY, CERT_FILES, SERVER_CERT, SERVER_KEY } from './files.js';

/** Subject alternative names: every name and address of the lab's web hosts, and the wildcard domains. */
export function serverSans(): string {
  const web = LAB_HOSTS.filter((h) => h.role === 'web');
  const dns = [...web.flatMap((h) => h.names), ...LAB_WILDCARD_DOMAINS.map((d) => `*.${d}`)];
  const ips = web.map((h) => h.addresses[0] as string);
  return [...dns.map((n) => `DNS:${n}`), ...ips.map((a) => `IP:${a}`)].join(',');
}

/** Writes ca.pem/ca.key and server.pem/server.key into `stateDir` (keys 0600). Two openssl runs, ~0.1 s. */
export async function makeLabCerts(stateDir: string, label: string): Promise<void> {
  const f = (n: string): string => labFile(stateDir, n);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await run(
    'openssl',
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      f(CA_KEY),
      '-out',
      f(CA_CERT),
      '-days',
      '365',
      '-subj',
      `/O=bulkhead lab/CN=bulkhead lab CA ${label}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    { timeoutMs: 20_000 },
  );
  await run(
    'openssl',
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      f(SERVER_KEY),
      '-out',
      f(SERVER_CERT),
      '-days',
      '365',
      '-subj',
      '/O=bulkhead lab/CN=web.lab.test',
      '-CA',
      f(CA_CERT),
      '-CAkey',
      f(CA_KEY),
      '-addext',
      `subjectAltName=${serverSans()}`,
      '-addext',
      'basicConstraints=critical,CA:FALSE',
      '-addext',
      'keyUsage=critical,digitalSignature',
      '-addext',
      'extendedKeyUsage=serverAuth',
    ],
    { timeoutMs: 20_000 },
  );
  await Promise.all([chmod(f(CA_KEY), 0o600), chmod(f(SERVER_KEY), 0o600)]);
}
