import { type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { requireUser } from '../../../plugins/app/auth.ts'
import { errorResponses } from '../../../schemas/common.ts'
import { SubmissionIdParams } from '../../../schemas/evaluation.ts'
import { assertCanSee, findSubmission } from '../../../services/evaluations.ts'

/**
 * Server-sent events of a submission's status and progress: an event on every change, then
 * `end` once the submission and its newest evaluation have finished. The polling is shared by
 * all streams (plugins/app/event-streams.ts), which are capped per user and in all (429).
 */
const submissionEvents: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/submissions/:id/events',
    {
      schema: {
        tags: ['submissions'],
        params: SubmissionIdParams,
        description:
          'text/event-stream: `progress` events ' +
          '({ submissionId, status, error, evaluationId, evaluationStatus, progress: { done, total } }), ' +
          'then `end`. 429 beyond MAX_EVENT_STREAMS_PER_USER open streams per user or MAX_EVENT_STREAMS in all.',
        response: { 200: Type.String({ description: 'an event stream' }), ...errorResponses(401, 403, 404, 429) },
      },
    },
    async (request, reply) => {
      const submission = await findSubmission(app.db, request.params.id)
      assertCanSee(request.user, submission)
      const user = requireUser(request)
      const res = reply.raw
      const close = app.eventStreams.open(user.id, submission.id, {
        write: (chunk) => {
          if (!res.writableEnded && !res.destroyed) res.write(chunk)
        },
        end: () => {
          if (!res.writableEnded) res.end()
        },
      })
      reply.hijack()
      res.on('error', (err) => request.log.debug({ err }, 'submission event stream: write failed'))
      res.on('close', close)
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      })
      if (request.raw.socket.destroyed) close()
    },
  )
}
export default submissionEvents
