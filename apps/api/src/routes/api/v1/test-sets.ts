import { type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { FastifyRequest } from 'fastify'
import { requireRole } from '../../../plugins/app/auth.ts'
import { PhaseParams } from '../../../schemas/challenge.ts'
import { errorResponses } from '../../../schemas/common.ts'
import { withUpload } from '../../../lib/upload-session.ts'
import { serviceDeps, uploadValidators } from '../../../lib/service-deps.ts'
import { storeTestSet, testSetPhase, testSetUploadSlot } from '../../../services/test-sets.ts'

const TestSetImportSchema = Type.Object({
  version: Type.Integer(),
  count: Type.Integer(),
  series: Type.Array(Type.Object({ name: Type.String(), sequence: Type.String() })),
})

/**
 * Hidden test sets: upload only. No route ever returns their files; phases show only the
 * current version number and series count.
 */
const testSets: FastifyPluginAsyncTypebox = async (app) => {
  /** The phase first (404/403 before the body is read), then one upload per phase in flight. */
  async function importTestSet(request: FastifyRequest, challenge: string, phaseSlug: string, isPublic: boolean) {
    const user = requireRole(request, 'admin', 'organiser')
    const phase = await testSetPhase(app.db, user, challenge, phaseSlug)
    const deps = serviceDeps(app, request.log)
    return withUpload(app, request, testSetUploadSlot(phase), ['archive'], (upload) =>
      storeTestSet(deps, uploadValidators(app), phase, user, upload, isPublic),
    )
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
}
export default testSets
