/**
 * Fixed-window counter of failures per key (client address): after `limit` failures within
 * `windowMs`, `blockedFor` reports how long the key must wait. In memory: one API process
 * sees its own clients; enough to make token guessing impractical.
 */
export class FailureLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>()

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until the key may try again, or 0 when it is not blocked. */
  blockedFor(key: string): number {
    const w = this.windows.get(key)
    if (!w) return 0
    const t = this.now()
    if (t >= w.resetAt) {
      this.windows.delete(key)
      return 0
    }
    return w.count >= this.limit ? w.resetAt - t : 0
  }

  fail(key: string): void {
    const t = this.now()
    const w = this.windows.get(key)
    if (!w || t >= w.resetAt) this.windows.set(key, { count: 1, resetAt: t + this.windowMs })
    else w.count++
    if (this.windows.size > 100_000) this.prune(t)
  }

  private prune(t: number): void {
    for (const [k, w] of this.windows) if (t >= w.resetAt) this.windows.delete(k)
  }
}
