import { type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { requireRole } from '../../../plugins/app/auth.ts'
import { errorResponses } from '../../../schemas/common.ts'
import { ChallengeParams, ChallengeSchema } from '../../../schemas/challenge.ts'
import { phaseResources, updateChallenge } from '../../../services/challenges.ts'

const UpdateChallengeSchema = Type.Object(
  {
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 20_000 }), Type.Null()])),
  },
  { additionalProperties: false, minProperties: 1 },
)

/** Editing a challenge's title and description (Markdown) by its owner or an admin. */
const challengeEdit: FastifyPluginAsyncTypebox = async (app) => {
  const resources = phaseResources(app.config)
  app.patch(
    '/challenges/:challenge',
    {
      schema: {
        tags: ['challenges'],
        params: ChallengeParams,
        body: UpdateChallengeSchema,
        response: { 200: ChallengeSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) =>
      updateChallenge(app.db, requireRole(request, 'admin', 'organiser'), request.params.challenge, request.body, resources),
  )
}
export default challengeEdit
