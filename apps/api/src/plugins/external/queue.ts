import fp from 'fastify-plugin'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import type { FastifyInstance } from 'fastify'
import { QUEUE_NAMES, queueName, type EvaluationJobData, type LeaderboardJobData } from '@spider-bench/contracts'

/**
 * The API only produces: evaluations, and leaderboard recomputes after a change of ranking
 * settings (a worker ranks; a request never does), on its own Redis connection. The offline
 * queue is off so that a dead Redis fails an enqueue quickly instead of hanging the request.
 */
export default fp(
  async function queuePlugin(app: FastifyInstance) {
    const redis = new Redis(app.config.redisUrl, { maxRetriesPerRequest: null, enableOfflineQueue: false, lazyConnect: true })
    redis.on('error', (err) => app.log.warn({ err }, 'redis connection error'))
    await redis.connect().catch((err) => app.log.warn({ err }, 'redis is not reachable yet; /readyz reports it'))
    const queue = new Queue<EvaluationJobData>(queueName(QUEUE_NAMES.evaluation, app.config.queuePrefix), { connection: redis })
    queue.on('error', (err) => app.log.warn({ err }, 'evaluation queue error'))
    const leaderboard = new Queue<LeaderboardJobData>(queueName(QUEUE_NAMES.leaderboard, app.config.queuePrefix), { connection: redis })
    leaderboard.on('error', (err) => app.log.warn({ err }, 'leaderboard queue error'))
    app.decorate('redis', redis)
    app.decorate('evaluationQueue', queue)
    app.decorate('leaderboardQueue', leaderboard)
    app.addHook('onClose', async () => {
      await queue.close()
      await leaderboard.close()
      redis.disconnect()
    })
  },
  { name: 'queue', dependencies: ['config'] },
)
