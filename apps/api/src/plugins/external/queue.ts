import fp from 'fastify-plugin'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import type { FastifyInstance } from 'fastify'
import { QUEUE_NAMES, queueName, type EvaluationJobData } from '@spider-bench/contracts'

/**
 * The API only produces: one evaluation queue on its own Redis connection. The offline queue
 * is off so that a dead Redis fails an enqueue quickly instead of hanging the request.
 */
export default fp(
  async function queuePlugin(app: FastifyInstance) {
    const redis = new Redis(app.config.redisUrl, { maxRetriesPerRequest: null, enableOfflineQueue: false, lazyConnect: true })
    redis.on('error', (err) => app.log.warn({ err }, 'redis connection error'))
    await redis.connect().catch((err) => app.log.warn({ err }, 'redis is not reachable yet; /readyz reports it'))
    const queue = new Queue<EvaluationJobData>(queueName(QUEUE_NAMES.evaluation, app.config.queuePrefix), { connection: redis })
    queue.on('error', (err) => app.log.warn({ err }, 'evaluation queue error'))
    app.decorate('redis', redis)
    app.decorate('evaluationQueue', queue)
    app.addHook('onClose', async () => {
      await queue.close()
      redis.disconnect()
    })
  },
  { name: 'queue', dependencies: ['config'] },
)
