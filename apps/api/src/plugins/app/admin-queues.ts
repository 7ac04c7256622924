import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Queue } from 'bullmq'
import { createBullBoard } from '@bull-board/api'
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter'
import { FastifyAdapter } from '@bull-board/fastify'
import { QUEUE_NAMES, queueName } from '@spider-bench/contracts'
import { ApiError, badRequest, forbidden, unauthorized } from '../../errors.ts'
import { readCookie } from '../../lib/cookies.ts'
import { SessionSigner } from '../../lib/dashboard-session.ts'
import { apiErrorBody } from '../external/error-handler.ts'
import { checkToken, refuseAuthentication } from './auth.ts'

export const ADMIN_QUEUES_PATH = '/admin/queues'
export const ADMIN_LOGIN_PATH = `${ADMIN_QUEUES_PATH}/login`
export const SESSION_COOKIE = 'spider_admin'

export { readCookie }

const LOGIN_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>spider-bench queues: log in</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 32rem; margin: 4rem auto">
<h1>Queue dashboard</h1>
<form method="post" action="${ADMIN_LOGIN_PATH}">
<label>Admin API token<br><input name="token" type="password" autocomplete="off" required style="width: 100%"></label>
<p><button type="submit">Log in</button></p>
</form>
</body></html>
`

/**
 * The bull-board dashboard at /admin/queues, for admins only. API clients send their Bearer
 * token. A browser posts the admin token once to /admin/queues/login (a form there), which
 * answers with a short-lived signed session cookie (HttpOnly, SameSite=Strict, scoped to the
 * dashboard) naming the token's row, never holding the token. Tokens in the URL are refused:
 * they end up in browser history and proxy logs.
 */
export default fp(
  async function adminQueues(app: FastifyInstance) {
    const queues = Object.values(QUEUE_NAMES).map((name) => new Queue(queueName(name, app.config.queuePrefix), { connection: app.redis }))
    // Connection errors are reported once by the queue plugin's Redis listener and by /readyz.
    for (const queue of queues) queue.on('error', () => undefined)
    const serverAdapter = new FastifyAdapter()
    serverAdapter.setBasePath(ADMIN_QUEUES_PATH)
    createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q)), serverAdapter })
    const sessions = new SessionSigner(app.config.sessionSecret, app.config.dashboardSessionSeconds)

    const needsLogin = (why: string) =>
      unauthorized(
        `${why}: log in at ${ADMIN_LOGIN_PATH} (a form; POST token=<admin token>), or send "Authorization: Bearer <admin token>"`,
      )

    // A session names an API token's row: it ends when the token is revoked or its user is no
    // longer an admin. A forged value counts as a failed authentication.
    const checkSession = async (request: FastifyRequest, value: string): Promise<void> => {
      const session = sessions.verify(value)
      if (!session.ok) {
        if (session.reason === 'expired') throw needsLogin('your dashboard session has expired')
        refuseAuthentication(
          app,
          request,
          `the ${SESSION_COOKIE} cookie is not a valid dashboard session; log in again at ${ADMIN_LOGIN_PATH}`,
        )
      }
      const row = await app.db.apiToken.findUnique({ where: { id: session.tokenId }, include: { user: true } })
      if (!row || row.revokedAt) throw needsLogin('the API token of this dashboard session was revoked')
      if (row.user.role !== 'admin') throw forbidden(`the queue dashboard is for admins; you are ${row.user.role}`)
    }

    const guard = async (request: FastifyRequest) => {
      if (request.query && typeof request.query === 'object' && 'token' in request.query) {
        throw badRequest(
          `tokens in URLs end up in browser history and proxy logs, so they are not accepted; log in at ${ADMIN_LOGIN_PATH} instead`,
        )
      }
      if (request.user) {
        if (request.user.role !== 'admin') throw forbidden(`the queue dashboard is for admins; you are ${request.user.role}`)
        return
      }
      const cookie = readCookie(request.headers.cookie, SESSION_COOKIE)
      if (cookie === null) throw needsLogin('the queue dashboard needs an admin')
      await checkSession(request, cookie)
    }

    // bull-board installs its own error handler on its routes; it answers in the API's shape
    // (never an internal message), and the onError hook below adds headers such as Retry-After.
    // (Its typings list only the statuses bull-board itself uses.)
    type DashboardErrorHandler = Parameters<typeof serverAdapter.setErrorHandler>[0]
    serverAdapter.setErrorHandler(((err: Error & { statusCode?: number }) => {
      if (err instanceof ApiError) return { status: err.statusCode, body: apiErrorBody(err) }
      const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500
      if (status >= 500) app.log.error({ err }, 'queue dashboard request failed')
      return {
        status,
        body: {
          error:
            status >= 500 ? { code: 'internal_error', message: 'internal server error' } : { code: 'bad_request', message: err.message },
        },
      }
    }) as DashboardErrorHandler)
    await app.register(async (scope) => {
      scope.addHook('onError', async (_request, reply, err) => {
        if (err instanceof ApiError && err.headers) reply.headers(err.headers)
      })
      scope.addHook('onRequest', guard)
      await scope.register(serverAdapter.registerPlugin(), { prefix: ADMIN_QUEUES_PATH })
    })

    await app.register(async (login) => {
      login.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_request, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(body as string)))
      })
      const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer')
      login.get(ADMIN_LOGIN_PATH, { schema: { hide: true } }, async (_request, reply) =>
        noStore(reply).type('text/html; charset=utf-8').send(LOGIN_PAGE),
      )
      login.post(ADMIN_LOGIN_PATH, { schema: { hide: true } }, async (request, reply) => {
        const body = request.body as { token?: unknown } | undefined
        const token = typeof body?.token === 'string' ? body.token.trim() : null
        const holder = await checkToken(app, request, token, 'send the admin token as the form field "token"')
        if (holder.user.role !== 'admin') throw forbidden(`the queue dashboard is for admins; you are ${holder.user.role}`)
        const secure = request.protocol === 'https' ? '; Secure' : ''
        reply.header(
          'set-cookie',
          `${SESSION_COOKIE}=${sessions.issue(holder.tokenId)}; Path=${ADMIN_QUEUES_PATH}; ` +
            `Max-Age=${sessions.ttlSeconds}; HttpOnly; SameSite=Strict${secure}`,
        )
        return noStore(reply).redirect(ADMIN_QUEUES_PATH, 303)
      })
      login.post(`${ADMIN_QUEUES_PATH}/logout`, { schema: { hide: true } }, async (_request, reply) => {
        reply.header('set-cookie', `${SESSION_COOKIE}=; Path=${ADMIN_QUEUES_PATH}; Max-Age=0; HttpOnly; SameSite=Strict`)
        return noStore(reply).redirect(ADMIN_LOGIN_PATH, 303)
      })
    })
    app.addHook('onClose', async () => {
      await Promise.all(queues.map((q) => q.close()))
    })
  },
  { name: 'admin-queues', dependencies: ['config', 'queue', 'auth'] },
)
