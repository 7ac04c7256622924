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

/**
 * The limiter key of a client address: an IPv4 address as is (IPv4-mapped IPv6 included), an
 * IPv6 address by its /64 network, since one host commonly holds a whole /64 and could
 * otherwise take a fresh address for every guess.
 */
export function addressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)
  if (mapped) return mapped[1]
  if (!ip.includes(':')) return ip
  const [head, tail] = ip.split('%')[0].split('::')
  const left = head ? head.split(':') : []
  const right = tail !== undefined && tail !== '' ? tail.split(':') : []
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
  return `${groups
    .slice(0, 4)
    .map((g) => (parseInt(g, 16) || 0).toString(16))
    .join(':')}::/64`
}
