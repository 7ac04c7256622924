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
import { DirectUploadSchema, StartPredictionsUploadBody } from '../../../schemas/direct-upload.ts'
import { assertNoOpenDirectUpload, directUploadsUnavailable, startDirectUpload } from '../../../services/direct-uploads.ts'
import {
  admitSubmission,
  assertKindAccepted,
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
      const slot = submissionUploadSlot(admission, user)
      const accepted = await withUpload(
        app,
        request,
        slot,
        ['predictions', 'model', 'config'],
        (upload) => storeSubmission(deps, uploadValidators(app), admission, user, upload),
        () => assertNoOpenDirectUpload(app.db, slot, user),
      )
      return reply.status(202).send(accepted)
    },
  )

  app.post(
    '/challenges/:challenge/phases/:phase/submissions/uploads',
    {
      schema: {
        tags: ['submissions'],
        description:
          'A direct upload of a predictions archive (when the server keeps its files in an object store): ' +
          'admitted now as POST .../submissions admits one (phase open, no active submission, limit), ' +
          'then PUT the archive to the presigned URL of the answer and POST to its "complete" path, ' +
          'which validates it as POST .../submissions does and answers the same (202). ' +
          '501 when the storage takes no direct uploads (send the archive to POST .../submissions instead).',
        params: PhaseParams,
        body: StartPredictionsUploadBody,
        response: { 201: DirectUploadSchema, ...errorResponses(400, 401, 403, 404, 409, 413, 422, 429, 501) },
      },
    },
    async (request, reply) => {
      const user = requireRole(request, 'participant', 'admin')
      const { challenge, phase } = request.params
      const streamedRoute = `POST /api/v1/challenges/${challenge}/phases/${phase}/submissions`
      if (!app.storage.presignUpload) throw directUploadsUnavailable(streamedRoute)
      const admission = await admitSubmission(app.db, user, challenge, phase)
      assertKindAccepted(admission.phase, 'predictions')
      const slot = submissionUploadSlot(admission, user)
      // Not while a streamed upload of the slot runs (the slot is taken for the moment of the start only).
      const held = await app.uploadSlots.acquire(slot.key, slot.busy)
      try {
        const started = await startDirectUpload(serviceDeps(app, request.log), {
          purpose: 'predictions',
          phase: admission.phase,
          user,
          slot,
          size: request.body.size,
          sha256: request.body.sha256,
          testSetId: admission.testSet.id,
          streamedRoute,
        })
        return reply.status(201).send(started)
      } finally {
        await held.release()
      }
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
