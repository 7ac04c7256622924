import type { FlowProducer, Queue } from 'bullmq'
import type { Logger } from 'pino'
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
  }
  /** Full queue names (with the test prefix, if any). */
  readonly names: { readonly evaluation: string; readonly scoreSeries: string; readonly finalize: string; readonly inference: string }
  readonly config: WorkerConfig
  readonly log: Logger
  /** Called after every stored leaderboard snapshot (the API drops its cache). */
  readonly onLeaderboard?: (phaseId: string) => void
}
