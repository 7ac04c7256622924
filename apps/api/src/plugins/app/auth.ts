import { createHash, timingSafeEqual } from 'node:crypto'
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { forbidden, tooManyRequests, unauthorized } from '../../errors.ts'
import { readCookie } from '../../lib/cookies.ts'
import { SessionSigner } from '../../lib/dashboard-session.ts'
import { addressKey, FailureLimiter } from '../../lib/failure-limiter.ts'
import { clearSessionCookie, fromOwnPage, SAFE_METHODS, WEB_SESSION_COOKIE } from '../../lib/web-session.ts'
import { hashToken, isRole, looksLikeToken } from '@spider-bench/evaluation'
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
export async function checkToken(
  app: FastifyInstance,
  request: FastifyRequest,
  token: string | null,
  malformed = 'invalid API token',
): Promise<TokenHolder> {
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
  if (blocked > 0)
    throw tooManyRequests(`too many failed authentications from ${request.ip}; retry in ${Math.ceil(blocked / 1000)} s`, blocked / 1000)
  app.authFailures.fail(key)
  throw unauthorized(message)
}

/** Constant-time comparison of a presented secret with the configured one. */
export function sameSecret(presented: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest()
  return timingSafeEqual(digest(presented), digest(expected))
}

/**
 * The holder of a web session cookie (see routes/api/v1/session.ts), or null (anonymous) when
 * the session expired or its API token was revoked; the cookie is then cleared. A value that
 * is not a session this server signed counts as a failed authentication, like a bad token.
 */
async function sessionUser(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, value: string): Promise<AuthUser | null> {
  const session = app.webSessions.verify(value)
  if (!session.ok) {
    clearSessionCookie(request, reply)
    if (session.reason === 'expired') return null
    return refuseAuthentication(
      app,
      request,
      `the ${WEB_SESSION_COOKIE} cookie is not a valid session ` +
        '(altered, or signed before the server restarted without SESSION_SECRET); sign in again',
    )
  }
  const row = await app.db.apiToken.findUnique({ where: { id: session.tokenId }, include: { user: true } })
  if (!row || row.revokedAt || !isRole(row.user.role)) {
    clearSessionCookie(request, reply)
    return null
  }
  app.db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } }).catch(() => undefined)
  return { id: row.user.id, name: row.user.name, role: row.user.role }
}

/**
 * Bearer-token authentication on every request: no header → anonymous (`request.user = null`);
 * a bad token → 401, counted per client address; too many failures → 429 for failures only
 * (see `checkToken`). A route with `config: { metricsToken: true }` also accepts METRICS_TOKEN,
 * which sets `request.metricsScraper` and no user.
 *
 * Without an Authorization header, the web pages' session cookie (WEB_SESSION_COOKIE, issued
 * by POST /api/v1/session for a valid token) authenticates instead. Every change (any method
 * but GET, HEAD, OPTIONS) so authenticated must come from this site's own pages: its Origin
 * header must name this server (403 otherwise), so no other site can act with the cookie.
 */
export default fp(
  async function auth(app: FastifyInstance) {
    const limiter = new FailureLimiter(app.config.authFailureLimit, app.config.authFailureWindowSeconds * 1000)
    app.decorate('authFailures', limiter)
    app.decorate('webSessions', new SessionSigner(app.config.sessionSecret, app.config.webSessionSeconds, Date.now, 'web'))
    app.decorateRequest('user', null)
    app.decorateRequest('metricsScraper', false)
    app.addHook('onRequest', async (request, reply) => {
      const header = request.headers.authorization
      if (header === undefined) {
        // The pages' static files need nobody: no session lookup for them.
        if (request.url.startsWith('/assets/')) return
        const cookie = readCookie(request.headers.cookie, WEB_SESSION_COOKIE)
        if (cookie === null) return
        request.user = await sessionUser(app, request, reply, cookie)
        if (request.user && !SAFE_METHODS.has(request.method) && !fromOwnPage(request)) {
          throw forbidden(
            `cross-site request refused: a change authenticated by the ${WEB_SESSION_COOKIE} cookie ` +
              "must come from this site's pages " +
              `(Origin header ${request.headers.origin === undefined ? 'missing' : `"${String(request.headers.origin)}"`}); ` +
              'API clients send "Authorization: Bearer <token>"',
          )
        }
        return
      }
      const token = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? null
      const metricsToken = app.config.metricsToken
      if (
        token !== null &&
        metricsToken !== null &&
        request.routeOptions.config?.metricsToken === true &&
        sameSecret(token, metricsToken)
      ) {
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
