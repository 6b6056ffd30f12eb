// Public surface of firewall/: Qubes-style rules, list operations and the nft compiler (pure).
export { FirewallRuleError, RULE_FIELDS, type Action, type DstHost, type FirewallRule, type Proto, type RuleField } from './types.js';
export { parseRule, parseRuleSet, formatRule, type ParseOptions } from './parse.js';
export { addRule, defaultRules, delRule, expireRules, isExpired, nextExpiry, resetRules } from './list.js';
export { compileQubeChain, compileQubeBlocked, hostnamesOf, ruleBodies, type CompileOptions, type QubeFirewallTarget } from './compile.js';
export { compileBaseTable, compileDnsServers, compileQubeAttach, compileQubeDetach, COUNTERS, type QubeLinkKey } from './base.js';
export { DEFAULT_TABLE, qubeChain, checkQubeName, checkIfname, checkTable } from './names.js';
export { parseAddress, parseIPv4, parseIPv6, formatIPv6, networkText, type IpFamily, type IpPrefix } from './ip.js';
export { compileNatTable, NAT_TABLE, type NatInput } from './nat.js';
