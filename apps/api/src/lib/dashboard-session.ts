import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

export type SessionCheck = { readonly ok: true; readonly tokenId: string } | { readonly ok: false; readonly reason: 'invalid' | 'expired' }

/**
 * Short-lived signed session values for the queue dashboard and, with `purpose` "web", the web
 * pages' session cookie: `<token id>.<expiry s>.<HMAC>`; the purpose is part of the MAC, so a
 * value issued for one is never accepted by the other.
 * They name the API token's row (so that revoking the token ends the session) but never hold
 * the token itself. The key is SESSION_SECRET, or random per process when none is configured
 * (sessions then end when the process does, and API processes behind one load balancer do not
 * share them).
 */
export class SessionSigner {
  private readonly key: Buffer

  constructor(
    secret: string | null,
    readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
    private readonly purpose: 'dashboard' | 'web' = 'dashboard',
  ) {
    this.key = secret === null ? randomBytes(32) : Buffer.from(secret, 'utf8')
  }

  issue(tokenId: string): string {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(tokenId)) throw new Error(`unexpected token id "${tokenId}"`)
    const payload = `${tokenId}.${Math.floor(this.now() / 1000) + this.ttlSeconds}`
    return `${payload}.${this.mac(payload)}`
  }

  verify(value: string): SessionCheck {
    const m = /^([A-Za-z0-9_-]{1,64})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value)
    if (!m) return { ok: false, reason: 'invalid' }
    const expected = Buffer.from(this.mac(`${m[1]}.${m[2]}`))
    const given = Buffer.from(m[3])
    if (!timingSafeEqual(expected, given)) return { ok: false, reason: 'invalid' }
    if (Number(m[2]) * 1000 <= this.now()) return { ok: false, reason: 'expired' }
    return { ok: true, tokenId: m[1] }
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.key).update(`spider-bench ${this.purpose} session v1\n${payload}`).digest('base64url')
  }
}
