import { createHash, timingSafeEqual } from 'node:crypto'
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { forbidden, tooManyRequests, unauthorized } from '../../errors.ts'
import { addressKey, FailureLimiter } from '../../lib/failure-limiter.ts'
import { hashToken, looksLikeToken } from '../../lib/tokens.ts'
import { isRole } from '../../services/users.ts'
import type { AuthUser, Role } from '../../types.ts'

/** The holder of a valid API token, with the token's row id (dashboard sessions name it). */
export interface TokenHolder {
  readonly tokenId: string
  readonly user: AuthUser
}

/**
 * Checks an API token under the failed-authentication limit. Only failures count, and only
 * failures are refused: a valid token is accepted even from an address that is blocked (so
 * nobody can lock an admin out by failing from the admin's address), an invalid one counts
 * against the address (401) and, once the address is blocked, gets 429. A blocked address
 * still pays at most one hash and one indexed lookup per attempt; a malformed token costs
 * nothing. Successes never reset the count: a participant's own valid token between guesses
 * must not buy more guesses.
 *
 * `token` null: the caller sent something that is not a token at all (`malformed` says what).
 */
export async function checkToken(app: FastifyInstance, request: FastifyRequest, token: string | null, malformed = 'invalid API token'): Promise<TokenHolder> {
  const refuse = (message: string): never => refuseAuthentication(app, request, message)
  if (token === null) return refuse(malformed)
  if (!looksLikeToken(token)) return refuse('invalid API token')
  const row = await app.db.apiToken.findUnique({ where: { tokenHash: hashToken(token) }, include: { user: true } })
  if (!row || row.revokedAt) return refuse('invalid API token')
  if (!isRole(row.user.role)) throw new Error(`user ${row.user.id} has an unknown role "${row.user.role}"`)
  // Best effort; a lost update of lastUsedAt is harmless.
  app.db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } }).catch(() => undefined)
  return { tokenId: row.id, user: { id: row.user.id, name: row.user.name, role: row.user.role } }
}

/**
 * A failed authentication from the request's address: 429 when the address is already blocked
 * (the attempt is not counted again), else counted and 401 with `message`.
 */
export function refuseAuthentication(app: FastifyInstance, request: FastifyRequest, message: string): never {
  const key = addressKey(request.ip)
  const blocked = app.authFailures.blockedFor(key)
  if (blocked > 0) throw tooManyRequests(`too many failed authentications from ${request.ip}; retry in ${Math.ceil(blocked / 1000)} s`, blocked / 1000)
  app.authFailures.fail(key)
  throw unauthorized(message)
}

/** Constant-time comparison of a presented secret with the configured one. */
export function sameSecret(presented: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest()
  return timingSafeEqual(digest(presented), digest(expected))
}

/**
 * Bearer-token authentication on every request: no header → anonymous (`request.user = null`);
 * a bad token → 401, counted per client address; too many failures → 429 for failures only
 * (see `checkToken`). A route with `config: { metricsToken: true }` also accepts METRICS_TOKEN,
 * which sets `request.metricsScraper` and no user.
 */
export default fp(
  async function auth(app: FastifyInstance) {
    const limiter = new FailureLimiter(app.config.authFailureLimit, app.config.authFailureWindowSeconds * 1000)
    app.decorate('authFailures', limiter)
    app.decorateRequest('user', null)
    app.decorateRequest('metricsScraper', false)
    app.addHook('onRequest', async (request) => {
      const header = request.headers.authorization
      if (header === undefined) return
      const token = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? null
      const metricsToken = app.config.metricsToken
      if (token !== null && metricsToken !== null && request.routeOptions.config?.metricsToken === true && sameSecret(token, metricsToken)) {
        request.metricsScraper = true
        return
      }
      request.user = (await checkToken(app, request, token, 'malformed Authorization header: expected "Bearer <token>"')).user
    })
  },
  { name: 'auth', dependencies: ['config'] },
)

/** The caller, or 401. */
export function requireUser(request: FastifyRequest): AuthUser {
  if (!request.user) throw unauthorized()
  return request.user
}

/** The caller when they hold one of the roles, else 401 (anonymous) or 403. */
export function requireRole(request: FastifyRequest, ...roles: Role[]): AuthUser {
  const user = requireUser(request)
  if (!roles.includes(user.role)) throw forbidden(`this action needs the role ${roles.join(' or ')}; you are ${user.role}`)
  return user
}
