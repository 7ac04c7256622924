import { type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { requireRole } from '../../../plugins/app/auth.ts'
import { PhaseParams } from '../../../schemas/challenge.ts'
import { errorResponses } from '../../../schemas/common.ts'
import { DirectUploadSchema, StartDirectUploadBody } from '../../../schemas/direct-upload.ts'
import { TestSetImportSchema } from '../../../schemas/test-set.ts'
import { withUpload } from '../../../lib/upload-session.ts'
import { serviceDeps, uploadValidators } from '../../../lib/service-deps.ts'
import { assertNoOpenDirectUpload, directUploadsUnavailable, startDirectUpload } from '../../../services/direct-uploads.ts'
import { storeTestSet, testSetPhase, testSetUploadSlot } from '../../../services/test-sets.ts'

/**
 * Hidden test sets: upload only. No route ever returns their files; phases show only the
 * current version number and series count.
 */
const testSets: FastifyPluginAsyncTypebox = async (app) => {
  const streamedRoute = (challenge: string, phase: string, isPublic: boolean) =>
    `PUT /api/v1/challenges/${challenge}/phases/${phase}/${isPublic ? 'sanity-set' : 'test-set'}`

  /** The phase first (404/403 before the body is read), then one upload per phase in flight. */
  async function importTestSet(request: FastifyRequest, challenge: string, phaseSlug: string, isPublic: boolean) {
    const user = requireRole(request, 'admin', 'organiser')
    const phase = await testSetPhase(app.db, user, challenge, phaseSlug)
    const deps = serviceDeps(app, request.log)
    const slot = testSetUploadSlot(phase)
    return withUpload(
      app,
      request,
      slot,
      ['archive'],
      (upload) => storeTestSet(deps, uploadValidators(app), phase, user, upload, isPublic),
      () => assertNoOpenDirectUpload(app.db, slot, user),
    )
  }

  /** The same checks as before a streamed body is read, then a presigned PUT (services/direct-uploads.ts). */
  async function startTestSetUpload(
    request: FastifyRequest,
    challenge: string,
    phaseSlug: string,
    isPublic: boolean,
    body: { size: number; sha256: string },
  ) {
    const user = requireRole(request, 'admin', 'organiser')
    const phase = await testSetPhase(app.db, user, challenge, phaseSlug)
    if (!app.storage.presignUpload) throw directUploadsUnavailable(streamedRoute(challenge, phaseSlug, isPublic))
    const slot = testSetUploadSlot(phase)
    // Not while a streamed upload of the slot runs (the slot is taken for the moment of the start only).
    const held = await app.uploadSlots.acquire(slot.key, slot.busy)
    try {
      return await startDirectUpload(serviceDeps(app, request.log), {
        purpose: isPublic ? 'sanity-set' : 'test-set',
        phase,
        user,
        slot,
        size: body.size,
        sha256: body.sha256,
        testSetId: null,
        streamedRoute: streamedRoute(challenge, phaseSlug, isPublic),
      })
    } finally {
      await held.release()
    }
  }

  app.put(
    '/challenges/:challenge/phases/:phase/test-set',
    {
      schema: {
        tags: ['test sets'],
        description:
          'multipart/form-data with one file field "archive": a .zip or .tar.gz of images/ + masks/ [+ overview.csv]. ' +
          'Creates a new version.',
        consumes: ['multipart/form-data'],
        params: PhaseParams,
        response: { 200: TestSetImportSchema, ...errorResponses(400, 401, 403, 404, 408, 409, 413, 415, 422) },
      },
    },
    async (request) => {
      return importTestSet(request, request.params.challenge, request.params.phase, false)
    },
  )

  app.put(
    '/challenges/:challenge/phases/:phase/sanity-set',
    {
      schema: {
        tags: ['test sets'],
        description:
          'Public sanity cases of the phase, uploaded like a test set (multipart file field "archive"). ' +
          'An algorithm submission first runs on the newest version (the canary run), ' +
          'where its full error output is shown to the participant; only then does it run on the hidden test set. ' +
          'Creates a new version.',
        consumes: ['multipart/form-data'],
        params: PhaseParams,
        response: { 200: TestSetImportSchema, ...errorResponses(400, 401, 403, 404, 408, 409, 413, 415, 422) },
      },
    },
    async (request) => {
      return importTestSet(request, request.params.challenge, request.params.phase, true)
    },
  )

  for (const [set, isPublic] of [
    ['test-set', false],
    ['sanity-set', true],
  ] as const) {
    app.post(
      `/challenges/:challenge/phases/:phase/${set}/uploads`,
      {
        schema: {
          tags: ['test sets'],
          description:
            `A direct upload of a ${set} archive (when the server keeps its files in an object store): ` +
            'PUT the archive to the presigned URL of the answer, then POST to its "complete" path, ' +
            `which validates it as PUT .../${set} does and answers the same. ` +
            '501 when the storage takes no direct uploads (send the archive to PUT .../' +
            `${set} instead).`,
          params: PhaseParams,
          body: StartDirectUploadBody,
          response: { 201: DirectUploadSchema, ...errorResponses(400, 401, 403, 404, 409, 413, 501) },
        },
      },
      async (request, reply) => {
        const started = await startTestSetUpload(request, request.params.challenge, request.params.phase, isPublic, request.body)
        return reply.status(201).send(started)
      },
    )
  }
}
export default testSets
