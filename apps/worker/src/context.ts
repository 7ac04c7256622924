import type { FlowProducer, Queue } from 'bullmq'
import type { Logger } from 'pino'
import type { WorkerRole } from '@spider-bench/contracts'
import type { PrismaClient } from '@spider-bench/db'
import type { Storage } from '@spider-bench/storage'
import type { WorkerConfig } from './config.ts'
import type { ScoringPool } from './processors/scoring-pool.ts'

/** What the processors share: long-lived clients, created once by startWorkers. */
export interface WorkerContext {
  readonly prisma: PrismaClient
  readonly storage: Storage
  readonly pool: ScoringPool
  readonly flows: FlowProducer
  readonly queues: {
    readonly evaluation: Queue
    readonly scoreSeries: Queue
    readonly finalize: Queue
    /** Producer side only (removing jobs); consumed only by inference workers. */
    readonly inference: Queue
  }
  /** Full queue names (with the test prefix, if any). */
  readonly names: {
    readonly evaluation: string
    readonly scoreSeries: string
    readonly finalize: string
    readonly inference: string
    readonly leaderboard: string
  }
  readonly config: WorkerConfig
  readonly log: Logger
  /** The BullMQ worker name advertising this process's role (see @spider-bench/contracts workerName). */
  readonly workerName: (role: WorkerRole, concurrency: number) => string
  /** Asks every worker to stop an evaluation now (inference workers kill its model process). */
  readonly stopEvaluation: (evaluationId: string) => Promise<void>
  /** Called after every stored leaderboard snapshot (the API drops its cache). */
  readonly onLeaderboard?: (phaseId: string) => void
}
