// Public surface of gateway/: port plan, torrc, nftables rulesets, routing, control-port filter rules.
export * from './types.js';
export {
  planGateway,
  listenerOf,
  assignSlots,
  slotsAbove,
  WHONIX_SOCKS_PORTS,
  TRANS_PORT,
  DNS_PORT,
  DNS_FACING_PORT,
  CONTROL_FILTER_PORT,
  TOR_CONTROL_PORT,
  BROWSER_SOCKS_PORT,
  BLOCK,
  DEFAULT_PORT_BASE,
} from './port-plan.js';
export { generateTorrc } from './torrc.js';
export { browserConfig, BROWSER_FILES, type BrowserConfig, type BrowserConfigInput } from './browser-config.js';
export { parseBridgeLine, parseBridges, MAX_BRIDGES, MAX_BRIDGE_LINE, type Bridge } from './bridges.js';
export { hashControlPassword, newControlPassword, authenticateLine, HASHED_PASSWORD_RE, S2K_COUNT_INDICATOR } from './control-password.js';
export { gatewayRuleset, GATEWAY_DROP_COUNTERS, DEFAULT_GATEWAY_TABLE } from './nft-gateway.js';
export { lockdownRuleset, DEFAULT_LOCKDOWN_TABLE } from './nft-lockdown.js';
export { workstationRuleset, WORKSTATION_DROP_COUNTERS, DEFAULT_WORKSTATION_TABLE, type WorkstationFirewallInput } from './nft-workstation.js';
export { gatewayRouting, type RoutingPlan } from './routing.js';
export {
  parseProfile,
  FILTER_OWN_COMMANDS,
  REPLACEMENT_VARS,
  type ControlProfile,
  type CommandRule,
  type ResponseRule,
  type ReplacementVars,
} from './control-profile.js';
export { filterControlLine, rewriteResponse, ruleFor, FILTERED_REPLY, MAX_LINE, type ControlDecision, type FilterContext } from './control-filter.js';
