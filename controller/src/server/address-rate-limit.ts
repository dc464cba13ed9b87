/** A token bucket per remote address: `burst` at once, refilled at `perMinute`. */
export interface RateLimit {
  burst: number;
  perMinute: number;
}

/** Buckets kept at most; past this the least recently touched are forgotten (a forgotten address starts full). */
const MAX_TRACKED_ADDRESSES = 100_000;

interface Bucket {
  tokens: number;
  at: number;
}

export class AddressRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly limit: RateLimit, private readonly now: () => number = Date.now) {}

  /** Takes one token; false when the address has none left. */
  take(address: string): boolean {
    const bucket = this.refilled(address);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Whether the address has a token left, without taking it. */
  allows(address: string): boolean {
    return this.refilled(address).tokens >= 1;
  }

  /** Whole seconds until the address has a token again. */
  retryAfterSeconds(address: string): number {
    const missing = 1 - this.refilled(address).tokens;
    return missing <= 0 ? 0 : Math.max(1, Math.ceil((missing * 60) / this.limit.perMinute));
  }

  /** Drops buckets that are full again: they hold nothing a fresh one would not. */
  sweep(): void {
    for (const [address, bucket] of this.buckets) {
      if (this.tokensOf(bucket) >= this.limit.burst) this.buckets.delete(address);
    }
  }

  private refilled(address: string): Bucket {
    const existing = this.buckets.get(address);
    const bucket = existing ?? { tokens: this.limit.burst, at: this.now() };
    bucket.tokens = this.tokensOf(bucket);
    bucket.at = this.now();
    // Re-inserting keeps the map ordered by last use, so the oldest entry is the first evicted.
    this.buckets.delete(address);
    this.buckets.set(address, bucket);
    if (this.buckets.size > MAX_TRACKED_ADDRESSES) this.buckets.delete(this.buckets.keys().next().value as string);
    return bucket;
  }

  private tokensOf(bucket: Bucket): number {
    const refill = ((this.now() - bucket.at) / 60_000) * this.limit.perMinute;
    return Math.min(this.limit.burst, bucket.tokens + refill);
  }
}
