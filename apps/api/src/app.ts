import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import core, { type CoreOptions } from './plugins/external/core.ts'
import errorHandler from './plugins/external/error-handler.ts'
import multipart from './plugins/external/multipart.ts'
import requestTimeouts, { serverTimeouts } from './plugins/external/request-timeouts.ts'
import queue from './plugins/external/queue.ts'
import swagger from './plugins/external/swagger.ts'
import metrics from './plugins/external/metrics.ts'
import adminQueues from './plugins/app/admin-queues.ts'
import auth from './plugins/app/auth.ts'
import eventStreams from './plugins/app/event-streams.ts'
import uploadSlots from './plugins/app/upload-slots.ts'
import autoloadRoutes from './routes/autoload.ts'
import { ErrorSchema } from './schemas/common.ts'
import './types.ts'

export interface AppOptions extends CoreOptions {
  /** A pino logger; without one the app does not log. */
  readonly logger?: FastifyBaseLogger
}

/**
 * Builds the Fastify app: external plugins (config/db/storage, errors, queue, multipart,
 * OpenAPI), then app plugins (auth), then every route module under routes/.
 * The caller owns the database and storage and closes them after `app.close()`.
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    // Uploads are streamed by multipart; JSON bodies stay small.
    bodyLimit: 1024 * 1024,
    ...serverTimeouts(options.config),
    trustProxy: options.config.trustProxy,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: true } },
  }).withTypeProvider<TypeBoxTypeProvider>()
  app.addSchema(ErrorSchema)
  await app.register(core, { config: options.config, prisma: options.prisma, storage: options.storage })
  await app.register(errorHandler)
  await app.register(queue)
  await app.register(multipart)
  await app.register(requestTimeouts)
  await app.register(swagger)
  await app.register(metrics)
  await app.register(auth)
  await app.register(adminQueues)
  await app.register(uploadSlots)
  await app.register(eventStreams)
  await app.register(autoloadRoutes)
  return app as unknown as FastifyInstance
}
