import { type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { forbidden } from '../../../errors.ts'
import { checkToken } from '../../../plugins/app/auth.ts'
import { errorResponses } from '../../../schemas/common.ts'
import { UserSchema } from '../../../schemas/user.ts'
import { clearSessionCookie, fromOwnPage, sessionCookie } from '../../../lib/web-session.ts'

const CreateSessionSchema = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 200, description: 'an API token' }) },
  { additionalProperties: false },
)
const SessionSchema = Type.Object({ user: UserSchema, expiresAt: Type.String({ format: 'date-time' }) })

/**
 * Web sign-in: the pages exchange a pasted API token for an HttpOnly, SameSite=Strict session
 * cookie (WEB_SESSION_SECONDS), which the auth plugin accepts instead of a Bearer token. The
 * cookie names the token's row, so revoking the token ends the session; the page never keeps
 * the token. Signing out clears the cookie.
 */
const session: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/session',
    {
      schema: {
        tags: ['users'],
        security: [],
        description:
          'Exchanges an API token for a web session cookie (spider_session). ' +
          'Failed attempts count against the failed-authentication limit.',
        body: CreateSessionSchema,
        response: { 200: SessionSchema, ...errorResponses(400, 401, 403, 429) },
      },
    },
    async (request, reply) => {
      // A browser always names the page it signs in from; another site may not sign its
      // visitors in to an account of its choosing (login CSRF).
      if (request.headers.origin !== undefined && !fromOwnPage(request))
        throw forbidden("cross-site sign-in refused: sign in from this site's own pages")
      const holder = await checkToken(app, request, request.body.token.trim())
      const ttl = app.webSessions.ttlSeconds
      reply.header('set-cookie', sessionCookie(request, app.webSessions.issue(holder.tokenId), ttl)).header('cache-control', 'no-store')
      return { user: holder.user, expiresAt: new Date(Date.now() + ttl * 1000).toISOString() }
    },
  )

  app.get(
    '/session',
    {
      schema: {
        tags: ['users'],
        security: [],
        description:
          'Who the request is signed in as (session cookie or Bearer token): the user, or null for anonymous callers ' +
          '(200 either way, so pages can ask without an error).',
        response: { 200: Type.Object({ user: Type.Union([UserSchema, Type.Null()]) }) },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store')
      return { user: request.user ? { id: request.user.id, name: request.user.name, role: request.user.role } : null }
    },
  )

  app.delete(
    '/session',
    {
      schema: {
        tags: ['users'],
        security: [],
        description: 'Signs out: clears the session cookie.',
        response: { 204: Type.Null(), ...errorResponses(403) },
      },
    },
    async (request, reply) => {
      clearSessionCookie(request, reply)
      return reply.status(204).send(null)
    },
  )
}
export default session
