import { type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { requireRole } from '../../../plugins/app/auth.ts'
import { errorResponses } from '../../../schemas/common.ts'
import { PhaseParams } from '../../../schemas/challenge.ts'
import { ReevaluationSchema, SubmissionIdParams } from '../../../schemas/evaluation.ts'
import { serviceDeps } from '../../../lib/service-deps.ts'
import { reevaluatePhase, reevaluateSubmission } from '../../../services/evaluations.ts'

/**
 * Re-evaluation by organisers (after a test-set or scorer update): new evaluations; the
 * leaderboard switches to each submission's newest successful one as they finish.
 */
const reevaluations: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/submissions/:id/reevaluate',
    {
      schema: {
        tags: ['evaluations'],
        params: SubmissionIdParams,
        response: { 202: ReevaluationSchema, ...errorResponses(401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const user = requireRole(request, 'admin', 'organiser')
      return reply.status(202).send(await reevaluateSubmission(serviceDeps(app, request.log), user, request.params.id))
    },
  )

  app.post(
    '/challenges/:challenge/phases/:phase/reevaluate',
    {
      schema: { tags: ['evaluations'], params: PhaseParams, response: { 202: ReevaluationSchema, ...errorResponses(401, 403, 404, 409) } },
    },
    async (request, reply) => {
      const user = requireRole(request, 'admin', 'organiser')
      return reply
        .status(202)
        .send(await reevaluatePhase(serviceDeps(app, request.log), user, request.params.challenge, request.params.phase))
    },
  )
}
export default reevaluations
