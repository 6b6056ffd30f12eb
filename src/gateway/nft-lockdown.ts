// The lockdown ruleset: everything dropped (loopback aside), loaded when the real ruleset cannot be.
import { counters, replaceTable } from './nft-common.js';

export const DEFAULT_LOCKDOWN_TABLE = 'bulkhead_lockdown';

/**
 * A table that drops every packet in input, forward and output except on loopback, at a priority
 * ahead of every other table. It names no interface and no address, so it cannot fail to load
 * for lack of either; removing the table is the only way out of it.
 */
export function lockdownRuleset(tableName: string = DEFAULT_LOCKDOWN_TABLE): string {
  const chain = (name: string, hook: string, lo: string) => [
    `\tchain ${name} {`,
    `\t\ttype filter hook ${hook} priority -400; policy drop;`,
    ...(lo ? [`\t\t${lo} accept`] : []),
    '\t\tcounter name lockdown_drop drop',
    '\t}',
  ];
  return replaceTable('inet', tableName, [
    ...counters(['lockdown_drop']),
    ...chain('input', 'input', 'iif lo'),
    ...chain('forward', 'forward', ''),
    ...chain('output', 'output', 'oif lo'),
  ]);
}
