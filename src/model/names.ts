// Qube name rules as Qubes has them: ≤ 31 chars, [a-zA-Z][a-zA-Z0-9_.-]*, reserved names refused.
import { BulkheadError } from '../errors/index.js';

export const MAX_NAME_LENGTH = 31;
const NAME_RE = /^[a-zA-Z][a-zA-Z0-9_.-]*$/;
/** Names Qubes refuses: the admin qube's names and words the tools use as values. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(['dom0', 'Domain-0', 'none', 'default', 'admin']);

/** Validate an untrusted name; returns it unchanged or throws ERR_INVALID_NAME naming the rule broken. */
export function validateName(untrustedName: unknown, field = 'name'): string {
  if (typeof untrustedName !== 'string' || untrustedName.length === 0) {
    throw new BulkheadError('ERR_INVALID_NAME', `${field}: a qube name must be a non-empty string`, { field });
  }
  if (untrustedName.length > MAX_NAME_LENGTH) {
    throw new BulkheadError('ERR_INVALID_NAME', `${field}: '${untrustedName.slice(0, 40)}' is longer than ${MAX_NAME_LENGTH} characters`, { field });
  }
  if (!NAME_RE.test(untrustedName)) {
    throw new BulkheadError('ERR_INVALID_NAME', `${field}: '${untrustedName}' must start with a letter and hold only letters, digits, '_', '.', '-'`, {
      field,
    });
  }
  if (RESERVED_NAMES.has(untrustedName)) {
    throw new BulkheadError('ERR_INVALID_NAME', `${field}: '${untrustedName}' is a reserved name`, { field });
  }
  if (untrustedName.endsWith('-dm')) {
    throw new BulkheadError('ERR_INVALID_NAME', `${field}: '${untrustedName}' must not end with '-dm' (reserved for device-model qubes)`, { field });
  }
  return untrustedName;
}

const TAG_RE = /^[a-zA-Z0-9_-]+$/;
export function validateTag(untrustedTag: unknown): string {
  if (typeof untrustedTag !== 'string' || !TAG_RE.test(untrustedTag) || untrustedTag.length > 64) {
    throw new BulkheadError('ERR_INVALID_VALUE', `tag: '${String(untrustedTag)}' must be 1-64 characters of [a-zA-Z0-9_-]`);
  }
  return untrustedTag;
}

const FEATURE_RE = /^[a-zA-Z0-9_.-]+$/;
export function validateFeatureName(untrustedKey: unknown): string {
  if (typeof untrustedKey !== 'string' || !FEATURE_RE.test(untrustedKey) || untrustedKey.length > 64) {
    throw new BulkheadError('ERR_INVALID_VALUE', `feature: '${String(untrustedKey)}' must be 1-64 characters of [a-zA-Z0-9_.-]`);
  }
  return untrustedKey;
}
