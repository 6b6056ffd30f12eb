// Public surface of the RPC policy engine (Qubes 4.1+ policy.d format).
export type {
  Action,
  ActionName,
  Decision,
  Policy,
  PolicyLoad,
  PolicyProblem,
  PolicyRequest,
  QubeClass,
  Rule,
  SystemQube,
  SystemSnapshot,
  Token,
  TokenPlace,
} from './types.js';
export { parseToken, tokenText } from './tokens.js';
export { parseRuleLine, parseServiceLine } from './rule.js';
export { loadPolicy, parsePolicyText, policyFilesIn, splitLines, type PolicyFiles, type ParseOptions } from './parse.js';
export { evaluate, splitServiceArgument } from './evaluate.js';
export { compilePolicy } from './compile.js';
export { QUBES_TYPE } from './system.js';
export { formatProblem } from './format.js';
export { memFiles } from './memfiles.js';
