import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Config } from '@spider-bench/config'
import core, { type CoreOptions } from './plugins/external/core.ts'
import errorHandler from './plugins/external/error-handler.ts'
import multipart from './plugins/external/multipart.ts'
import requestTimeouts, { serverTimeouts } from './plugins/external/request-timeouts.ts'
import queue from './plugins/external/queue.ts'
import swagger from './plugins/external/swagger.ts'
import metrics from './plugins/external/metrics.ts'
import adminQueues from './plugins/app/admin-queues.ts'
import auth from './plugins/app/auth.ts'
import queueState from './plugins/app/queue-state.ts'
import eventStreams from './plugins/app/event-streams.ts'
import uploadSlots from './plugins/app/upload-slots.ts'
import directUploads from './plugins/app/direct-uploads.ts'
import modelValidations from './plugins/app/model-validations.ts'
import imageValidator from './plugins/app/image-validator.ts'
import web from './plugins/app/web.ts'
import canaryPreviews from './plugins/app/canary-previews.ts'
import leaderboardCache from './plugins/app/leaderboard-cache.ts'
import autoloadRoutes from './routes/autoload.ts'
import { serializeRequest } from './lib/redact-url.ts'
import { ErrorSchema } from './schemas/common.ts'
import './types.ts'

export interface AppOptions extends CoreOptions {
  /** A pino logger; without one the app does not log. */
  readonly logger?: FastifyBaseLogger
  /** The built web pages (default apps/web/dist); a folder without index.html serves none. */
  readonly webDistDir?: string
}

/**
 * Fastify's trustProxy from TRUST_PROXY. A hop count becomes a function: Fastify ignores a
 * plain number (it cannot check the immediate peer), and `true` (trust every hop) is never
 * configured. With n hops the client is the address n entries from the socket, so the
 * X-Forwarded-For entries a client writes itself (to the left) are never taken.
 */
export function trustProxyOption(setting: Config['trustProxy']): false | string[] | ((address: string, hop: number) => boolean) {
  if (setting === false) return false
  if (typeof setting === 'number') return (_address, hop) => hop < setting
  return [...setting]
}

/**
 * Builds the Fastify app: external plugins (config/db/storage, errors, queue, multipart,
 * OpenAPI), then app plugins (auth), then every route module under routes/.
 * The caller owns the database and storage and closes them after `app.close()`.
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    // Request log lines carry the path without its query string (tokens must never be logged).
    ...(options.logger ? { loggerInstance: options.logger.child({}, { serializers: { req: serializeRequest } }) } : { logger: false }),
    // Uploads are streamed by multipart; JSON bodies stay small.
    bodyLimit: 1024 * 1024,
    ...serverTimeouts(options.config),
    trustProxy: trustProxyOption(options.config.trustProxy),
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
  await app.register(directUploads)
  await app.register(modelValidations)
  await app.register(imageValidator)
  await app.register(queueState)
  await app.register(eventStreams)
  await app.register(canaryPreviews)
  await app.register(leaderboardCache)
  await app.register(autoloadRoutes)
  await app.register(web, options.webDistDir !== undefined ? { distDir: options.webDistDir } : {})
  return app as unknown as FastifyInstance
}
