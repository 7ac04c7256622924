import { type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { requireRole } from '../../../plugins/app/auth.ts'
import { PhaseParams } from '../../../schemas/challenge.ts'
import { errorResponses } from '../../../schemas/common.ts'
import { importTestSet } from '../../../services/test-sets.ts'

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
  app.put(
    '/challenges/:challenge/phases/:phase/test-set',
    {
      schema: {
        tags: ['test sets'],
        description: 'multipart/form-data with one file field "archive": a .zip or .tar.gz of images/ + masks/ [+ overview.csv]. Creates a new version.',
        consumes: ['multipart/form-data'],
        params: PhaseParams,
        response: { 200: TestSetImportSchema, ...errorResponses(400, 401, 403, 404, 408, 409, 413, 415, 422) },
      },
    },
    async (request) => {
      const user = requireRole(request, 'admin', 'organiser')
      return importTestSet(app, request, user, request.params.challenge, request.params.phase)
    },
  )

  app.put(
    '/challenges/:challenge/phases/:phase/sanity-set',
    {
      schema: {
        tags: ['test sets'],
        description:
          'Public sanity cases of the phase, uploaded like a test set (multipart file field "archive"). An algorithm submission first runs on the newest version (the canary run), where its full error output is shown to the participant; only then does it run on the hidden test set. Creates a new version.',
        consumes: ['multipart/form-data'],
        params: PhaseParams,
        response: { 200: TestSetImportSchema, ...errorResponses(400, 401, 403, 404, 408, 409, 413, 415, 422) },
      },
    },
    async (request) => {
      const user = requireRole(request, 'admin', 'organiser')
      return importTestSet(app, request, user, request.params.challenge, request.params.phase, true)
    },
  )
}
export default testSets
