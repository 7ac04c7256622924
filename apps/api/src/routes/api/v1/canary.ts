import { type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { errorResponses } from '../../../schemas/common.ts'
import { SubmissionParams } from '../../../schemas/submission.ts'
import { canaryCase, getCanary } from '../../../services/canary.ts'

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])

const CanarySchema = Type.Object({
  submissionId: Type.String(),
  kind: Type.String(),
  evaluationId: Nullable(Type.String()),
  status: Nullable(Type.String()),
  error: Nullable(Type.String()),
  testSetVersion: Nullable(Type.Integer()),
  series: Type.Array(
    Type.Object({
      name: Type.String(),
      sequence: Type.String(),
      status: Type.String({ description: '"scored", "error" or "pending"' }),
      error: Nullable(Type.String()),
      metrics: Type.Record(Type.String(), Nullable(Type.Number())),
      preview: Nullable(Type.String({ description: 'URL of the PNG picture of this case' })),
    }),
  ),
})

/**
 * The canary run of an algorithm submission on the phase's public sanity cases: results per
 * case in full, and a picture of each (server-rendered PNG). Only public sanity cases are ever
 * drawn; the hidden test set has no picture route at all.
 */
const canary: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/submissions/:id/canary',
    { schema: { tags: ['submissions'], params: SubmissionParams, response: { 200: CanarySchema, ...errorResponses(401, 403, 404) } } },
    async (request) => getCanary(app.db, app.storage, request.user, request.params.id),
  )

  app.get(
    '/submissions/:id/canary/:series/preview.png',
    {
      schema: {
        tags: ['submissions'],
        description:
          "PNG: the mid-sagittal slice of a public sanity case with the reference (green) and the model's prediction (magenta) outlined.",
        params: Type.Object({ id: SubmissionParams.properties.id, series: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: { 200: Type.Unknown({ description: 'image/png' }), ...errorResponses(401, 403, 404, 422, 429) },
      },
    },
    async (request, reply) => {
      const c = await canaryCase(app.db, request.user, request.params.id, request.params.series)
      const png = await app.canaryPreviews.render(c)
      return reply.type('image/png').header('cache-control', 'private, max-age=3600').send(png)
    },
  )
}
export default canary
