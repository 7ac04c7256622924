import type { Queue } from 'bullmq'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import type { Config } from '@spider-bench/config'
import type { EvaluationJobData, LeaderboardJobData } from '@spider-bench/contracts'
import type { PrismaClient } from '@spider-bench/db'
import type { Storage } from '@spider-bench/storage'

/**
 * What services work with, passed explicitly: services take plain values and this object,
 * never a Fastify request or instance; routes do the HTTP (parse, authorise, receive uploads)
 * and build it with `serviceDeps`.
 */
export interface ServiceDeps {
  readonly db: PrismaClient
  readonly storage: Storage
  readonly queues: { readonly evaluation: Queue<EvaluationJobData>; readonly leaderboard: Queue<LeaderboardJobData> }
  readonly config: Config
  /** The request's logger (its lines carry the request id), or the app's. */
  readonly log: FastifyBaseLogger
}

export function serviceDeps(app: FastifyInstance, log: FastifyBaseLogger = app.log): ServiceDeps {
  return { db: app.db, storage: app.storage, queues: { evaluation: app.evaluationQueue, leaderboard: app.leaderboardQueue }, config: app.config, log }
}
