import { PassThrough } from 'node:stream'
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyServerOptions } from 'fastify'
import type { Config } from '@spider-bench/config'
import { ApiError } from '../../errors.ts'

/**
 * Fastify's server timeouts. `requestTimeout` (Node's: the whole request, headers and body,
 * must arrive within it; 408 and the connection closed otherwise) is the backstop of uploads,
 * UPLOAD_TIMEOUT_SECONDS plus REQUEST_TIMEOUT_SECONDS; the upload watchdog (receive-upload.ts)
 * and the hook below cut off slow bodies much earlier. `connectionTimeout` (socket inactivity)
 * stays off: a client waits silently while its upload is validated, and event streams are
 * kept alive by heartbeats; idle keep-alive sockets close after Fastify's keepAliveTimeout.
 */
export function serverTimeouts(config: Config): Pick<FastifyServerOptions, 'requestTimeout' | 'connectionTimeout'> {
  return { requestTimeout: (config.uploadTimeoutSeconds + config.requestTimeoutSeconds) * 1000, connectionTimeout: 0 }
}

const hasBody = (headers: Record<string, string | string[] | undefined>) =>
  headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0')

/**
 * The body of every request that is not a multipart upload (JSON, at most 1 MB) must arrive
 * within REQUEST_TIMEOUT_SECONDS: a trickled body is answered 408 and its connection closed.
 * Multipart uploads are read by the routes and watched by receiveUpload instead.
 */
export default fp(
  async function requestTimeouts(app: FastifyInstance) {
    const seconds = app.config.requestTimeoutSeconds
    app.addHook('preParsing', async (request, _reply, payload) => {
      if (!hasBody(request.headers) || request.headers['content-type']?.toLowerCase().startsWith('multipart/')) return payload
      const guarded = new PassThrough()
      const timer = setTimeout(() => {
        guarded.destroy(
          new ApiError(408, 'request_timeout', `the request body did not arrive within REQUEST_TIMEOUT_SECONDS (${seconds} s)`, undefined, {
            connection: 'close',
          }),
        )
      }, seconds * 1000)
      guarded.on('close', () => clearTimeout(timer))
      guarded.on('end', () => clearTimeout(timer))
      payload.on('error', (err) => guarded.destroy(err))
      return payload.pipe(guarded)
    })
  },
  { name: 'request-timeouts', dependencies: ['config'] },
)
