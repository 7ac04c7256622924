import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import type { ServiceDeps, UploadValidators } from '../services/deps.ts'

/** The services' dependencies from the app's decorations; `log`: the request's logger, when there is one. */
export function serviceDeps(app: FastifyInstance, log: FastifyBaseLogger = app.log): ServiceDeps {
  return {
    db: app.db,
    storage: app.storage,
    queues: { evaluation: app.evaluationQueue, leaderboard: app.leaderboardQueue },
    config: app.config,
    log,
  }
}

export function uploadValidators(app: FastifyInstance): UploadValidators {
  return { images: app.imageValidator, models: app.modelValidations }
}
