import { type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { requireRole, requireUser } from '../../../plugins/app/auth.ts'
import { errorResponses } from '../../../schemas/common.ts'
import { UploadParams } from '../../../schemas/direct-upload.ts'
import { AcceptedSubmissionSchema } from '../../../schemas/submission.ts'
import { TestSetImportSchema } from '../../../schemas/test-set.ts'
import { serviceDeps, uploadValidators } from '../../../lib/service-deps.ts'
import { withDirectUpload } from '../../../lib/upload-session.ts'
import { abandonDirectUpload, assertCompletable, findOwnUpload, uploadPhase } from '../../../services/direct-uploads.ts'
import { readmitSubmission, storeSubmission, submissionUploadSlot } from '../../../services/submissions.ts'
import { storeTestSet, testSetUploadSlot } from '../../../services/test-sets.ts'

/** Completion and abandonment of direct uploads (started by POST .../test-set/uploads, .../submissions/uploads). */
const uploads: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/uploads/:id/complete',
    {
      schema: {
        tags: ['uploads'],
        description:
          'Validates a direct upload from storage as its streamed route validates a body (same limits, same errors) ' +
          'and answers as that route does: 200 with the test-set version, or 202 with the submission. ' +
          'The file must be exactly the declared size and SHA-256 (else 422, and the upload is over); ' +
          '409 upload_missing while nothing was PUT; an upload completes once (409 upload_used afterwards).',
        params: UploadParams,
        response: {
          200: TestSetImportSchema,
          202: AcceptedSubmissionSchema,
          ...errorResponses(400, 401, 403, 404, 409, 410, 413, 422, 429),
        },
      },
    },
    async (request, reply) => {
      const user = requireUser(request)
      const row = await findOwnUpload(app.db, user, request.params.id)
      assertCompletable(row)
      const phase = await uploadPhase(app.db, user, row)
      const deps = serviceDeps(app, request.log)
      if (row.purpose === 'predictions') {
        requireRole(request, 'participant', 'admin')
        // The admission of the start: its time (phase window, limit) and its test set.
        const admission = await readmitSubmission(app.db, user, phase, row.testSetId as string, row.createdAt)
        const accepted = await withDirectUpload(app, request, row, submissionUploadSlot(admission, user), (upload) =>
          storeSubmission(deps, uploadValidators(app), admission, user, upload),
        )
        return reply.status(202).send(accepted)
      }
      const imported = await withDirectUpload(app, request, row, testSetUploadSlot(phase), (upload) =>
        storeTestSet(deps, uploadValidators(app), phase, user, upload, row.purpose === 'sanity-set'),
      )
      return reply.status(200).send(imported)
    },
  )

  app.delete(
    '/uploads/:id',
    {
      schema: {
        tags: ['uploads'],
        description: 'Abandons a direct upload that was not completed: its file is removed and its slot freed.',
        params: UploadParams,
        response: { 204: Type.Null(), ...errorResponses(401, 404, 409) },
      },
    },
    async (request, reply) => {
      await abandonDirectUpload(serviceDeps(app, request.log), requireUser(request), request.params.id)
      return reply.status(204).send(null)
    },
  )
}
export default uploads
