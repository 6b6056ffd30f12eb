// Firewall rule model (Qubes' qvm-firewall semantics) and its typed error.
import { BulkheadError } from '../errors/index.js';
import type { IpPrefix } from './ip.js';

export type Action = 'accept' | 'drop';
export type Proto = 'tcp' | 'udp' | 'icmp';

/** Destination: an address or prefix, or a DNS name resolved when the rules are applied. */
export type DstHost = ({ kind: 'ip'; text: string } & IpPrefix) | { kind: 'name'; text: string; name: string };

/** One rule. Absent fields match anything. `expire` is absolute unix seconds. */
export interface FirewallRule {
  action: Action;
  dsthost?: DstHost;
  proto?: Proto;
  dstports?: { from: number; to: number };
  icmptype?: number;
  specialtarget?: 'dns';
  expire?: number;
  comment?: string;
}

/** The fields a rule may carry, in the order the canonical text lists them. */
export const RULE_FIELDS = ['action', 'dsthost', 'proto', 'dstports', 'icmptype', 'specialtarget', 'expire', 'comment'] as const;
export type RuleField = (typeof RULE_FIELDS)[number];

/** A refused rule or list operation; `field` names what is wrong, `reason` says why. */
export class FirewallRuleError extends BulkheadError {
  override readonly field: string;
  readonly reason: string;
  readonly line: number | undefined;
  constructor(field: string, reason: string, line?: number) {
    super('ERR_FIREWALL', `${line !== undefined ? `line ${line}: ` : ''}firewall rule: ${field}: ${reason}`);
    this.name = 'FirewallRuleError';
    this.field = field;
    this.reason = reason;
    this.line = line;
  }
}
