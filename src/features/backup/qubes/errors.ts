// The one error of a Qubes backup restore: it names the member of the archive (or the field) at fault.
import { BulkheadError } from '../../../errors/index.js';

export class QubesBackupError extends BulkheadError {
  /** The archive member (`vm3/private.img.002.enc`), file or field the error is about. */
  readonly where: string;
  /** What is wrong with it (the message without the prefix; carried across worker threads). */
  readonly reason: string;
  constructor(where: string, reason: string, options?: { cause?: unknown }) {
    super('ERR_QUBES_BACKUP', `Qubes backup: ${where}: ${reason}`, options);
    this.name = 'QubesBackupError';
    this.where = where;
    this.reason = reason;
  }
}

export function fail(where: string, message: string): never {
  throw new QubesBackupError(where, message);
}
