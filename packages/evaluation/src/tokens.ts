/** API tokens: how they are made, stored (hashed) and recognised. */
import { createHash, randomBytes } from 'node:crypto'

const TOKEN_PREFIX = 'sbk_'

/** A new clear API token: `sbk_` + 32 random bytes (base64url). Shown once, stored hashed. */
export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url')
}

/** Tokens are high-entropy, so a plain SHA-256 is enough (no per-token salt needed). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

/** The short recognisable start of a token, stored to help people identify it. */
export function tokenPrefix(token: string): string {
  return token.slice(0, TOKEN_PREFIX.length + 6)
}

/** A quick shape check before touching the database. */
export function looksLikeToken(token: string): boolean {
  return /^sbk_[A-Za-z0-9_-]{43}$/.test(token)
}
