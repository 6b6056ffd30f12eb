// Validation of namespace and interface names before they reach `ip` (batch lines split on whitespace).
import { BulkheadError } from '../errors/index.js';

const NETNS = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

export function checkNetnsName(name: string): string {
  if (!NETNS.test(name)) throw new BulkheadError('ERR_INVALID_NAME', `netns: "${name}" is not a valid namespace name (1-64 of A-Za-z0-9_.-)`);
  return name;
}

export { checkIfname } from '../firewall/index.js';
