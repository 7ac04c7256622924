import { type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { requireRole, requireUser } from '../../../plugins/app/auth.ts'
import { NO_QUEUE_STATE, stalledNoticeOf } from '../../../plugins/app/queue-state.ts'
import { PhaseParams } from '../../../schemas/challenge.ts'
import { errorResponses } from '../../../schemas/common.ts'
import {
  AcceptedSubmissionSchema,
  ListSubmissionsQuery,
  SubmissionParams,
  SubmissionSchema,
  SubmissionSeriesSchema,
} from '../../../schemas/submission.ts'
import { serviceDeps, uploadValidators } from '../../../lib/service-deps.ts'
import {
  admitSubmission,
  cancelSubmission,
  getSubmission,
  getSubmissionSeries,
  listSubmissions,
  storeSubmission,
  submissionUploadSlot,
} from '../../../services/submissions.ts'
import { withUpload } from '../../../lib/upload-session.ts'

/** Submissions: participants submit and read their own; organisers read their challenge's. */
const submissions: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/challenges/:challenge/phases/:phase/submissions',
    {
      schema: {
        tags: ['submissions'],
        description:
          'multipart/form-data: field "kind" = "predictions" with file field "predictions" ' +
          '(.zip or .tar.gz, one mask per test series, matched by base name), ' +
          'or "algorithm" with file fields "model" (ONNX) and "config" (JSON).',
        consumes: ['multipart/form-data'],
        params: PhaseParams,
        response: { 202: AcceptedSubmissionSchema, ...errorResponses(400, 401, 403, 404, 408, 409, 413, 415, 422, 429) },
      },
    },
    async (request, reply) => {
      const user = requireRole(request, 'participant', 'admin')
      // Admission checks before the body is read; then one upload per participant and phase in flight.
      const admission = await admitSubmission(app.db, user, request.params.challenge, request.params.phase)
      const deps = serviceDeps(app, request.log)
      const accepted = await withUpload(app, request, submissionUploadSlot(admission, user), ['predictions', 'model', 'config'], (upload) =>
        storeSubmission(deps, uploadValidators(app), admission, user, upload),
      )
      return reply.status(202).send(accepted)
    },
  )

  app.get(
    '/challenges/:challenge/phases/:phase/submissions',
    {
      schema: {
        tags: ['submissions'],
        params: PhaseParams,
        querystring: ListSubmissionsQuery,
        response: { 200: Type.Array(SubmissionSchema), ...errorResponses(401, 404) },
      },
    },
    async (request) => {
      requireUser(request)
      const mine = request.query.mine === '1' || request.query.mine === 'true'
      return listSubmissions(app.db, request.user, request.params.challenge, request.params.phase, mine, app.config.minAggregateSeries)
    },
  )

  app.get(
    '/submissions/:id',
    { schema: { tags: ['submissions'], params: SubmissionParams, response: { 200: SubmissionSchema, ...errorResponses(401, 403, 404) } } },
    async (request) => {
      const view = await getSubmission(app.db, request.user, request.params.id, app.config.minAggregateSeries)
      // Honest queue state: position, estimated start, why it waits, what happened to a stalled run.
      const queue = await app.queueState.ofSubmission(view.id).catch((err: unknown) => {
        request.log.warn({ err }, 'queue state unavailable')
        return NO_QUEUE_STATE
      })
      return { ...view, ...queue, notice: queue.notice ?? (await stalledNoticeOf(app.db, view.id)) }
    },
  )

  app.get(
    '/submissions/:id/series',
    {
      schema: {
        tags: ['submissions'],
        params: SubmissionParams,
        response: { 200: SubmissionSeriesSchema, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => getSubmissionSeries(app.db, request.user, request.params.id),
  )

  app.post(
    '/submissions/:id/cancel',
    {
      schema: {
        tags: ['submissions'],
        params: SubmissionParams,
        response: { 200: SubmissionSchema, ...errorResponses(401, 403, 404, 409) },
      },
    },
    async (request) =>
      cancelSubmission(
        serviceDeps(app, request.log),
        (id, series) => app.queueState.stopEvaluation(id, series),
        requireUser(request),
        request.params.id,
      ),
  )
}
export default submissions
