import { type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { errorResponses } from '../../../schemas/common.ts'
import { SubmissionIdParams } from '../../../schemas/evaluation.ts'
import { assertCanSee, findSubmission, submissionProgress } from '../../../services/evaluations.ts'

const POLL_MS = 500
const HEARTBEAT_MS = 15_000
const TERMINAL = ['succeeded', 'failed', 'cancelled']

/**
 * Server-sent events of a submission's status and progress. The database is polled (the
 * worker may run on another machine); an event is sent on every change, then `end` once the
 * submission and its newest evaluation have finished.
 */
const submissionEvents: FastifyPluginAsyncTypebox = async (app) => {
  const open = new Set<() => void>()
  app.addHook('onClose', async () => {
    for (const stop of open) stop()
  })

  app.get(
    '/submissions/:id/events',
    {
      schema: {
        tags: ['submissions'],
        params: SubmissionIdParams,
        description: 'text/event-stream: `progress` events ({ submissionId, status, error, evaluationId, evaluationStatus, progress: { done, total } }), then `end`',
        response: { 200: Type.String({ description: 'an event stream' }), ...errorResponses(401, 403, 404) },
      },
    },
    async (request, reply) => {
      const submission = await findSubmission(app.db, request.params.id)
      assertCanSee(request.user, submission)
      reply.hijack()
      const res = reply.raw
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' })
      let closed = false
      let wake: (() => void) | null = null
      const stop = () => {
        closed = true
        wake?.()
      }
      open.add(stop)
      request.raw.on('close', stop)
      const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
      let last = ''
      let lastWrite = Date.now()
      try {
        while (!closed) {
          const state = await submissionProgress(app.db, submission.id)
          if (!state) {
            send('end', { submissionId: submission.id, status: 'deleted' })
            break
          }
          const text = JSON.stringify(state)
          if (text !== last) {
            send('progress', state)
            last = text
            lastWrite = Date.now()
          } else if (Date.now() - lastWrite >= HEARTBEAT_MS) {
            res.write(': keep-alive\n\n')
            lastWrite = Date.now()
          }
          if (TERMINAL.includes(state.status) && (state.evaluationStatus === null || TERMINAL.includes(state.evaluationStatus))) {
            send('end', state)
            break
          }
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, POLL_MS)
            wake = () => {
              clearTimeout(t)
              resolve()
            }
          })
          wake = null
        }
      } catch (err) {
        request.log.warn({ err }, 'submission event stream failed')
        if (!closed) send('error', { message: 'the status stream failed; reconnect to resume' })
      } finally {
        open.delete(stop)
        res.end()
      }
    },
  )
}
export default submissionEvents
