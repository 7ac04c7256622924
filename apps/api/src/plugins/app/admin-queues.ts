import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Queue } from 'bullmq'
import { createBullBoard } from '@bull-board/api'
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter'
import { FastifyAdapter } from '@bull-board/fastify'
import { QUEUE_NAMES, queueName } from '@spider-bench/contracts'
import { forbidden, tooManyRequests, unauthorized } from '../../errors.ts'
import { hashToken, looksLikeToken } from '../../lib/tokens.ts'

export const ADMIN_QUEUES_PATH = '/admin/queues'
const COOKIE = 'spider_admin'

/** The value of one cookie from a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim())
  }
  return null
}

/**
 * The bull-board dashboard at /admin/queues, for admins only. API clients send their Bearer
 * token; a browser opens `/admin/queues?token=<admin token>` once, which sets an HttpOnly
 * cookie scoped to the dashboard and redirects to the clean URL.
 */
export default fp(
  async function adminQueues(app: FastifyInstance) {
    const queues = Object.values(QUEUE_NAMES).map((name) => new Queue(queueName(name, app.config.queuePrefix), { connection: app.redis }))
    // Connection errors are reported once by the queue plugin's Redis listener and by /readyz.
    for (const queue of queues) queue.on('error', () => undefined)
    const serverAdapter = new FastifyAdapter()
    serverAdapter.setBasePath(ADMIN_QUEUES_PATH)
    createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q)), serverAdapter })

    // Tokens from the URL or the cookie go through the same failed-authentication limit as
    // Bearer tokens, so the dashboard is no side door for guessing.
    const isAdminToken = async (request: FastifyRequest, token: string): Promise<boolean> => {
      const blocked = app.authFailures.blockedFor(request.ip)
      if (blocked > 0) throw tooManyRequests(`too many failed authentications from ${request.ip}; retry in ${Math.ceil(blocked / 1000)} s`, blocked / 1000)
      const row = looksLikeToken(token)
        ? await app.db.apiToken.findUnique({ where: { tokenHash: hashToken(token) }, include: { user: true } })
        : null
      if (!row || row.revokedAt) {
        app.authFailures.fail(request.ip)
        return false
      }
      return row.user.role === 'admin'
    }
    const guard = async (request: FastifyRequest) => {
      if (request.user) {
        if (request.user.role !== 'admin') throw forbidden(`the queue dashboard is for admins; you are ${request.user.role}`)
        return
      }
      const cookie = readCookie(request.headers.cookie, COOKIE)
      if (cookie !== null && (await isAdminToken(request, cookie))) return
      throw unauthorized(`the queue dashboard needs an admin token: open ${ADMIN_QUEUES_PATH}?token=<admin token> in a browser, or send "Authorization: Bearer <token>"`)
    }

    await app.register(async (scope) => {
      scope.addHook('onRequest', async (request, reply) => {
        const token = (request.query as Record<string, string | undefined> | undefined)?.token ?? null
        if (token !== null) {
          if (!(await isAdminToken(request, token))) throw unauthorized('the token in the URL is not a valid admin token')
          const secure = request.protocol === 'https' ? '; Secure' : ''
          reply.header('set-cookie', `${COOKIE}=${encodeURIComponent(token)}; Path=${ADMIN_QUEUES_PATH}; HttpOnly; SameSite=Strict${secure}`)
          return reply.redirect(ADMIN_QUEUES_PATH)
        }
        await guard(request)
      })
      await scope.register(serverAdapter.registerPlugin(), { prefix: ADMIN_QUEUES_PATH })
    })
    app.addHook('onClose', async () => {
      await Promise.all(queues.map((q) => q.close()))
    })
  },
  { name: 'admin-queues', dependencies: ['config', 'queue', 'auth'] },
)
