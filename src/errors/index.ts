// Typed errors with a stable code, so the API can map them to HTTP status and the CLI to one clear line.
export type ErrorCode =
  | 'ERR_INVALID_NAME'
  | 'ERR_INVALID_VALUE'
  | 'ERR_UNKNOWN_PROPERTY'
  | 'ERR_NO_SUCH_QUBE'
  | 'ERR_QUBE_EXISTS'
  | 'ERR_QUBE_RUNNING'
  | 'ERR_QUBE_NOT_RUNNING'
  | 'ERR_QUBE_IN_USE'
  | 'ERR_HAS_DATA'
  | 'ERR_BAD_REQUEST'
  | 'ERR_STATE_LOCKED'
  | 'ERR_RUNTIME'
  | 'ERR_EXEC'
  | 'ERR_TIMEOUT'
  | 'ERR_POLICY'
  | 'ERR_FIREWALL'
  | 'ERR_NETWORK'
  | 'ERR_OFF_TOR'
  | 'ERR_TEMPLATE'
  | 'ERR_VOLUME'
  | 'ERR_FILECOPY'
  | 'ERR_PERMISSION'
  | 'ERR_UID_RANGE'
  | 'ERR_UNSAFE_PATH'
  | 'ERR_BACKUP'
  | 'ERR_BACKUP_PASSPHRASE'
  | 'ERR_PASSPHRASE'
  | 'ERR_CRYPT'
  | 'ERR_SWAP'
  | 'ERR_FORENSICS'
  | 'ERR_QUBES_BACKUP'
  | 'ERR_DISPLAY_PROTOCOL'
  /** The admin's X display cannot be used by the window service (none, not local, not 24-bit TrueColor). */
  | 'ERR_DISPLAY'
  | 'ERR_UNAUTHENTICATED'
  | 'ERR_INTERNAL';

const STATUS: Partial<Record<ErrorCode, number>> = {
  ERR_NO_SUCH_QUBE: 404,
  ERR_QUBE_EXISTS: 409,
  ERR_QUBE_RUNNING: 409,
  ERR_QUBE_NOT_RUNNING: 409,
  ERR_QUBE_IN_USE: 409,
  ERR_HAS_DATA: 409,
  ERR_STATE_LOCKED: 409,
  ERR_UID_RANGE: 409,
  ERR_SWAP: 409,
  ERR_FORENSICS: 500,
  ERR_UNSAFE_PATH: 500,
  ERR_PERMISSION: 403,
  ERR_UNAUTHENTICATED: 401,
  ERR_BACKUP_PASSPHRASE: 403,
  ERR_PASSPHRASE: 401,
  ERR_CRYPT: 500,
  ERR_RUNTIME: 500,
  ERR_EXEC: 500,
  ERR_INTERNAL: 500,
  ERR_VOLUME: 500,
  ERR_TIMEOUT: 504,
};

export class BulkheadError extends Error {
  readonly code: ErrorCode;
  /** The input field at fault (`name`, `netvm`, `private_size`), when the error is about one: the API's error body carries it. */
  readonly field?: string;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; field?: string }) {
    super(message, options);
    this.code = code;
    this.name = 'BulkheadError';
    if (options?.field !== undefined) this.field = options.field;
  }
  /** HTTP status for the admin API: client mistakes are 4xx. */
  get status(): number {
    return STATUS[this.code] ?? 400;
  }
}

export function isBulkheadError(e: unknown): e is BulkheadError {
  return e instanceof BulkheadError;
}
