// Names of what the lab keeps in its state directory ($BULKHEAD_HOME/lab), declared once (pure).
import { join } from 'node:path';

/** The lab's state lives in $BULKHEAD_HOME/lab. */
export function labStateDir(home: string): string {
  return join(home, 'lab');
}

/** The lab's record: namespaces, processes, uplinks, files. */
export const STATE_FILE = 'lab.json';
/** Serialises changes to the record. */
export const LOCK_FILE = 'lab.lock';
export const CA_CERT = 'ca.pem';
export const CA_KEY = 'ca.key';
export const SERVER_CERT = 'server.pem';
export const SERVER_KEY = 'server.key';
export const CERT_FILES = [CA_CERT, CA_KEY, SERVER_CERT, SERVER_KEY];
/** The lab web hosts' server script. */
export const WEB_SERVER_FILE = 'web-server.mjs';
/** dnsmasq's pid file of the lab's DNS host. */
export const DNS_PID_FILE = 'dns.pid';
/** What clients of the lab's Tor network need: bridge line, onion address, exits. */
export const TOR_INFO_FILE = 'tor-network.json';
/** The private Tor network: one data directory per node below it. */
export const TOR_DIR = 'tor';
/** Log of each leaf host (`NAME.log`). */
export function hostLogFile(host: string): string {
  return `${host}.log`;
}
