import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ApiError, forbidden, tooManyRequests, unauthorized } from '../../errors.ts'
import { FailureLimiter } from '../../lib/failure-limiter.ts'
import { hashToken, looksLikeToken } from '../../lib/tokens.ts'
import { isRole } from '../../services/users.ts'
import type { AuthUser, Role } from '../../types.ts'

/**
 * Bearer-token authentication on every request: no header → anonymous (`request.user = null`);
 * a bad token → 401, counted per client address; too many failures → 429 before any lookup.
 */
export default fp(
  async function auth(app: FastifyInstance) {
    const limiter = new FailureLimiter(app.config.authFailureLimit, app.config.authFailureWindowSeconds * 1000)
    app.decorate('authFailures', limiter)
    app.decorateRequest('user', null)
    app.addHook('onRequest', async (request) => {
      const header = request.headers.authorization
      if (header === undefined) return
      const blocked = limiter.blockedFor(request.ip)
      if (blocked > 0) throw tooManyRequests(`too many failed authentications from ${request.ip}; retry in ${Math.ceil(blocked / 1000)} s`, blocked / 1000)
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
      const fail = (message: string): ApiError => {
        limiter.fail(request.ip)
        return unauthorized(message)
      }
      if (!match) throw fail('malformed Authorization header: expected "Bearer <token>"')
      const token = match[1]
      if (!looksLikeToken(token)) throw fail('invalid API token')
      const row = await app.db.apiToken.findUnique({ where: { tokenHash: hashToken(token) }, include: { user: true } })
      if (!row || row.revokedAt) throw fail('invalid API token')
      if (!isRole(row.user.role)) throw new Error(`user ${row.user.id} has an unknown role "${row.user.role}"`)
      request.user = { id: row.user.id, name: row.user.name, role: row.user.role }
      // Best effort; a lost update of lastUsedAt is harmless.
      app.db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } }).catch(() => undefined)
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
