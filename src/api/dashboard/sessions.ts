// Dashboard sessions: one-time login secrets that become a session (cookie) bound to a CSRF token, all expiring on the server side.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** How long a login secret printed by `bulkhead dashboard url` may wait to be used. */
export const SECRET_TTL_MS = 5 * 60_000;
/** How long a session lives after its login (the cookie's Max-Age says the same). */
export const SESSION_TTL_MS = 12 * 3600_000;
/** Bounds what a flood of logins could hold in memory. */
const MAX_ENTRIES = 64;

export interface Session {
  id: string;
  csrf: string;
  expiresAt: number;
}

/** Entries are keyed by a hash of the secret, so a comparison never leaks a secret's prefix through timing. */
const key = (secret: string) => createHash('sha256').update(secret).digest('hex');
const token = () => randomBytes(32).toString('base64url');

export class DashboardSessions {
  private readonly secrets = new Map<string, number>();
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A new one-time login secret. */
  mintSecret(): string {
    this.sweep();
    const s = token();
    this.secrets.set(key(s), this.now() + SECRET_TTL_MS);
    trim(this.secrets);
    return s;
  }

  /** Uses a login secret up (valid or not, it is gone afterwards) and opens a session, or null. */
  redeem(untrustedSecret: string): Session | null {
    this.sweep();
    const k = key(untrustedSecret);
    const until = this.secrets.get(k);
    this.secrets.delete(k);
    if (until === undefined || until <= this.now()) return null;
    const s: Session = { id: token(), csrf: token(), expiresAt: this.now() + SESSION_TTL_MS };
    this.sessions.set(key(s.id), s);
    trim(this.sessions);
    return s;
  }

  /** The live session of a cookie value, or null. */
  session(untrustedId: string | undefined): Session | null {
    if (!untrustedId) return null;
    const s = this.sessions.get(key(untrustedId));
    if (!s) return null;
    if (s.expiresAt <= this.now()) {
      this.sessions.delete(key(untrustedId));
      return null;
    }
    return s;
  }

  /** Whether a CSRF header carries the session's token (constant time). */
  csrfOk(s: Session, untrustedToken: string | undefined): boolean {
    if (!untrustedToken) return false;
    const a = Buffer.from(key(untrustedToken));
    const b = Buffer.from(key(s.csrf));
    return timingSafeEqual(a, b);
  }

  end(id: string): void {
    this.sessions.delete(key(id));
  }

  private sweep(): void {
    const t = this.now();
    for (const [k, until] of this.secrets) if (until <= t) this.secrets.delete(k);
    for (const [k, s] of this.sessions) if (s.expiresAt <= t) this.sessions.delete(k);
  }
}

/** Drops the oldest entries beyond the bound (a Map iterates in insertion order). */
function trim<V>(m: Map<string, V>): void {
  for (const k of m.keys()) {
    if (m.size <= MAX_ENTRIES) return;
    m.delete(k);
  }
}
