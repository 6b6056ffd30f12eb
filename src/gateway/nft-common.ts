// Pieces shared by the gateway, workstation and lockdown rulesets: atomic replace, odd TCP flags.
import { ident } from './validate.js';

/** Create-then-delete-then-define: one nft transaction replaces the table atomically, or changes nothing. */
export function replaceTable(family: string, name: string, body: string[]): string {
  const t = ident('tableName', name);
  return [`table ${family} ${t}`, `delete table ${family} ${t}`, `table ${family} ${t} {`, ...body, '}', ''].join('\n');
}

/** Named counter declarations, one per drop reason, so tests and `bulkhead check` can read them. */
export function counters(names: readonly string[]): string[] {
  return names.map((n) => `\tcounter ${n} { }`);
}

/** TCP flag combinations no real stack sends (NULL, XMAS, SYN+FIN, SYN+RST, FIN+RST). */
export const ODD_TCP_FLAGS: readonly string[] = [
  'tcp flags & (fin|syn|rst|psh|ack|urg) == 0x0',
  'tcp flags & (fin|syn|rst|psh|ack|urg) == fin|syn|rst|psh|ack|urg',
  'tcp flags & (fin|psh|urg) == fin|psh|urg',
  'tcp flags & (fin|syn) == fin|syn',
  'tcp flags & (syn|rst) == syn|rst',
  'tcp flags & (fin|rst) == fin|rst',
];

/** Rules that drop invalid, odd-flag and fragmented IPv4 packets, each into its named counter. */
export function hygiene(prefix = ''): string[] {
  return [
    `\t\t${prefix}ct state invalid counter name drop_invalid drop`,
    ...ODD_TCP_FLAGS.map((f) => `\t\t${prefix}${f} counter name drop_tcp_flags drop`),
    `\t\t${prefix}ip frag-off & 0x1fff != 0 counter name drop_fragment drop`,
  ];
}
