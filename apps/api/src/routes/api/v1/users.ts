import { type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { badRequest, conflict, notFound } from '../../../errors.ts'
import { requireRole, requireUser } from '../../../plugins/app/auth.ts'
import { errorResponses } from '../../../schemas/common.ts'
import {
  CreateUserSchema,
  IssuedTokenSchema,
  MeSchema,
  RevokedTokenSchema,
  UserIdParams,
  UserWithTokensSchema,
} from '../../../schemas/user.ts'
import { createUser, issueToken, UserInputError } from '@spider-bench/evaluation'

const iso = (d: Date | null) => d?.toISOString() ?? null
const tokenInfo = (t: { id: string; prefix: string; createdAt: Date; lastUsedAt: Date | null; revokedAt: Date | null }) => ({
  id: t.id,
  prefix: t.prefix,
  createdAt: t.createdAt.toISOString(),
  lastUsedAt: iso(t.lastUsedAt),
  revokedAt: iso(t.revokedAt),
})

/** Users and API tokens (admins), and the caller's own identity (anyone signed in). */
const users: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/users',
    {
      schema: {
        tags: ['users'],
        description: 'Creates a user with a first API token, shown only in this answer.',
        body: CreateUserSchema,
        response: { 201: IssuedTokenSchema, ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      requireRole(request, 'admin')
      try {
        const user = await createUser(app.db, request.body.name, request.body.role as string)
        return reply.status(201).send({ user: { id: user.id, name: user.name, role: user.role }, token: user.token, tokenId: user.tokenId })
      } catch (err) {
        if (err instanceof UserInputError) throw err.kind === 'exists' ? conflict(err.message) : badRequest(err.message)
        throw err
      }
    },
  )

  app.get(
    '/users',
    {
      schema: {
        tags: ['users'],
        description: 'Every user with their tokens (never the tokens themselves).',
        response: { 200: Type.Array(UserWithTokensSchema), ...errorResponses(401, 403) },
      },
    },
    async (request) => {
      requireRole(request, 'admin')
      const rows = await app.db.user.findMany({
        include: { tokens: { orderBy: { createdAt: 'asc' } } },
        orderBy: [{ createdAt: 'asc' }, { name: 'asc' }],
      })
      return rows.map((u) => ({
        id: u.id,
        name: u.name,
        role: u.role,
        createdAt: u.createdAt.toISOString(),
        tokens: u.tokens.map(tokenInfo),
      }))
    },
  )

  app.post(
    '/users/:id/tokens',
    {
      schema: {
        tags: ['users'],
        description: 'Issues another API token for a user, shown only in this answer.',
        params: UserIdParams,
        response: { 201: IssuedTokenSchema, ...errorResponses(401, 403, 404) },
      },
    },
    async (request, reply) => {
      requireRole(request, 'admin')
      const user = await app.db.user.findUnique({ where: { id: request.params.id } })
      if (!user) throw notFound(`no user "${request.params.id}"`)
      const issued = await issueToken(app.db, user.id)
      return reply.status(201).send({ user: { id: user.id, name: user.name, role: user.role }, token: issued.token, tokenId: issued.id })
    },
  )

  app.delete(
    '/tokens/:id',
    {
      schema: {
        tags: ['users'],
        description: 'Revokes an API token at once (idempotent).',
        params: UserIdParams,
        response: { 200: RevokedTokenSchema, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => {
      requireRole(request, 'admin')
      const token = await app.db.apiToken.findUnique({ where: { id: request.params.id } })
      if (!token) throw notFound(`no API token "${request.params.id}"`)
      await app.db.apiToken.updateMany({ where: { id: token.id, revokedAt: null }, data: { revokedAt: new Date() } })
      const row = await app.db.apiToken.findUniqueOrThrow({ where: { id: token.id }, include: { user: true } })
      return { ...tokenInfo(row), user: { id: row.user.id, name: row.user.name, role: row.user.role } }
    },
  )

  app.get(
    '/me',
    { schema: { tags: ['users'], description: 'The signed-in caller.', response: { 200: MeSchema, ...errorResponses(401) } } },
    async (request) => {
      const me = requireUser(request)
      const row = await app.db.user.findUniqueOrThrow({ where: { id: me.id } })
      return { id: row.id, name: row.name, role: row.role, createdAt: row.createdAt.toISOString() }
    },
  )
}
export default users
