import type { Config } from '@spider-bench/config'
import type { PrismaClient } from '@spider-bench/db'
import type { Storage } from '@spider-bench/storage'
import type { EvaluationJobData, LeaderboardJobData } from '@spider-bench/contracts'
import type { Role } from '@spider-bench/evaluation'
import type { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import type { FailureLimiter } from './lib/failure-limiter.ts'
import type { SessionSigner } from './lib/dashboard-session.ts'

export { ROLES, type Role } from '@spider-bench/evaluation'

/** The authenticated caller. */
export interface AuthUser {
  readonly id: string
  readonly name: string
  readonly role: Role
}

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
    db: PrismaClient
    storage: Storage
    redis: Redis
    evaluationQueue: Queue<EvaluationJobData>
    /** Leaderboard recomputes after a change of ranking settings (a worker computes them). */
    leaderboardQueue: Queue<LeaderboardJobData>
    /** Failed authentications per client address (auth plugin); other token checks share it. */
    authFailures: FailureLimiter
    /** Signs and checks the web pages' session cookies (auth plugin). */
    webSessions: SessionSigner
  }
  interface FastifyRequest {
    /** Set by the auth plugin: null for anonymous callers. */
    user: AuthUser | null
    /** Set by the auth plugin: the caller presented METRICS_TOKEN on a route that accepts it. */
    metricsScraper: boolean
  }
  interface FastifyContextConfig {
    /** The route also accepts METRICS_TOKEN as a Bearer token (see the auth plugin). */
    metricsToken?: boolean
  }
}
