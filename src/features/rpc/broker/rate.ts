// Pure token buckets, one per key: a burst, then a steady rate; time is passed in, never read.

export interface RateLimit {
  /** Tokens a key holds when idle (the longest burst). */
  burst: number;
  /** Tokens added per second. */
  perSecond: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly limit: RateLimit) {
    if (!(limit.burst >= 1) || !(limit.perSecond > 0)) throw new RangeError('a rate limit needs burst ≥ 1 and perSecond > 0');
  }

  /** Takes one token of `key` at time `nowMs`; false when none is left. */
  take(key: string, nowMs: number): boolean {
    const b = this.buckets.get(key) ?? { tokens: this.limit.burst, at: nowMs };
    const elapsed = Math.max(0, nowMs - b.at) / 1000;
    b.tokens = Math.min(this.limit.burst, b.tokens + elapsed * this.limit.perSecond);
    b.at = nowMs;
    if (b.tokens < 1) {
      this.buckets.set(key, b);
      return false;
    }
    b.tokens -= 1;
    // A full bucket is the same as no bucket: forget it, so the map holds only keys in use.
    if (b.tokens >= this.limit.burst) this.buckets.delete(key);
    else this.buckets.set(key, b);
    return true;
  }

  /** Keys that hold state (for tests: the map stays bounded). */
  get size(): number {
    return this.buckets.size;
  }

  /** Drops buckets that have refilled by `nowMs`. */
  sweep(nowMs: number): void {
    for (const [k, b] of this.buckets) {
      if (b.tokens + (Math.max(0, nowMs - b.at) / 1000) * this.limit.perSecond >= this.limit.burst) this.buckets.delete(k);
    }
  }
}
