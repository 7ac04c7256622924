import fp from 'fastify-plugin'
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify'
import { ApiError, databaseUnavailable, insufficientStorage } from '../../errors.ts'
import { isDatabaseUnavailable } from '../../lib/database-unavailable.ts'
import { redactUrl } from '../../lib/redact-url.ts'
import { validationMessages } from '../../lib/validation-message.ts'

/** The documented body of an ApiError: `{ error: { code, message, details? } }`. */
export function apiErrorBody(err: ApiError): { error: { code: string; message: string; details?: unknown } } {
  const body: { code: string; message: string; details?: unknown } = { code: err.code, message: err.message }
  if (err.details !== undefined) body.details = err.details
  return { error: body }
}

function sendApiError(reply: FastifyReply, err: ApiError): FastifyReply {
  if (err.headers) reply.headers(err.headers)
  return reply.status(err.statusCode).send(apiErrorBody(err))
}

/**
 * One error handler: 4xx answers carry the message and a stable code, 5xx a generic message
 * (the details go to the log only). Never a stack trace. An unreachable database is a 503
 * `service_unavailable` with `Retry-After`, a full storage volume a 507 `insufficient_storage`,
 * not a 500.
 */
export default fp(
  async function errorHandler(app: FastifyInstance) {
    app.setErrorHandler((err: FastifyError | ApiError, request, reply) => {
      if (err instanceof ApiError) return sendApiError(reply, err)
      if (err.validation) {
        // Each field named once, with its allowed values (not ajv's "must be equal to constant, ...").
        const messages = validationMessages(err.validationContext, err.validation)
        return reply.status(400).send({
          error: {
            code: 'bad_request',
            message: `invalid request: ${messages.join('; ')}`,
            details: err.validation.map((v) => ({ path: v.instancePath, message: v.message })),
          },
        })
      }
      // The database restarting or unreachable: the same request works again shortly.
      if (isDatabaseUnavailable(err)) {
        request.log.warn({ err, request: { method: request.method, url: redactUrl(request.url) } }, 'database unavailable: answered 503')
        return sendApiError(reply, databaseUnavailable())
      }
      // The storage volume is full: nothing of the request was kept (uploads and stored objects are written to temporary files first).
      if ((err as NodeJS.ErrnoException).code === 'ENOSPC' || (err as NodeJS.ErrnoException).code === 'EDQUOT') {
        request.log.error({ err, request: { method: request.method, url: redactUrl(request.url) } }, 'storage full: answered 507')
        return sendApiError(reply, insufficientStorage())
      }
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500
      if (status >= 500) {
        request.log.error({ err, request: { method: request.method, url: redactUrl(request.url) } }, 'request failed')
        return reply.status(500).send({ error: { code: 'internal_error', message: 'internal server error' } })
      }
      const code =
        status === 413 ? 'payload_too_large' : status === 415 ? 'unsupported_media_type' : status === 404 ? 'not_found' : 'bad_request'
      return reply.status(status).send({ error: { code, message: err.message } })
    })
    app.setNotFoundHandler((request, reply) => {
      reply.status(404).send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` } })
    })
  },
  { name: 'error-handler' },
)
