/**
 * ARM's write throttling, as a token bucket: `writesPerSecond` tokens a second, a burst of as
 * many; a write without a token gets 429 with the Retry-After that would have bought one.
 * 0 turns it off.
 */
export class WriteThrottle {
  private tokens = 0;
  private last = Date.now();

  constructor(private readonly rate: () => number) {}

  /** Seconds to wait, or 0 when the write may go ahead (and uses a token). */
  take(now = Date.now()): number {
    const rate = this.rate();
    if (rate <= 0) return 0;
    this.tokens = Math.min(rate, this.tokens + ((now - this.last) / 1000) * rate);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / rate));
  }
}

export const isWrite = (method: string): boolean =>
  ['PUT', 'PATCH', 'POST', 'DELETE'].includes(method);
