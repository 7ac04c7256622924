import type { Queue } from 'bullmq'
import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '@spider-bench/config'
import type { EvaluationJobData, LeaderboardJobData } from '@spider-bench/contracts'
import type { PrismaClient } from '@spider-bench/db'
import type { Storage } from '@spider-bench/storage'
import type { ImageValidator } from '../lib/image-validator.ts'
import type { ValidationGate } from '../lib/validation-gate.ts'

/**
 * What services work with, passed explicitly: services take plain values and this object,
 * never a Fastify request or instance; routes do the HTTP (parse, authorise, receive uploads)
 * and build it with `serviceDeps` (lib/service-deps.ts).
 */
export interface ServiceDeps {
  readonly db: PrismaClient
  readonly storage: Storage
  readonly queues: { readonly evaluation: Queue<EvaluationJobData>; readonly leaderboard: Queue<LeaderboardJobData> }
  readonly config: Config
  /** The request's logger (its lines carry the request id), or the app's. */
  readonly log: FastifyBaseLogger
}

/** The checks of uploaded files, off the event loop: image threads and the model-validation gate. */
export interface UploadValidators {
  readonly images: Pick<ImageValidator, 'run'>
  readonly models: Pick<ValidationGate, 'enter'>
}
