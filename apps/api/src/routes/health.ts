import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

const HealthSchema = Type.Object({ status: Type.String(), checks: Type.Optional(Type.Record(Type.String(), Type.String())) })

async function check(fn: () => Promise<unknown>, timeoutMs = 2000): Promise<string> {
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs))),
    ])
    return 'ok'
  } catch (err) {
    return `error: ${(err as Error).message}`
  } finally {
    clearTimeout(timer)
  }
}

/** Liveness (the process answers) and readiness (database and Redis answer). */
const health: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/healthz', { schema: { tags: ['health'], security: [], response: { 200: HealthSchema } } }, async () => ({ status: 'ok' }))
  app.get(
    '/readyz',
    { schema: { tags: ['health'], security: [], response: { 200: HealthSchema, 503: HealthSchema } } },
    async (_req, reply) => {
      const [database, redis] = await Promise.all([check(() => app.db.$queryRaw`SELECT 1`), check(() => app.redis.ping())])
      const ready = database === 'ok' && redis === 'ok'
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks: { database, redis } })
    },
  )
}
export default health
