import { type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { requireUser } from '../../../plugins/app/auth.ts'
import { PhaseParams } from '../../../schemas/challenge.ts'
import { errorResponses } from '../../../schemas/common.ts'
import { QuotaSchema } from '../../../schemas/quota.ts'
import { phaseQuota } from '../../../services/quota.ts'

/** The caller's submission quota in a phase, machine-readable (what POST .../submissions would check). */
const quota: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/challenges/:challenge/phases/:phase/quota',
    {
      schema: {
        tags: ['submissions'],
        description:
          "The caller's submissions counted against the phase's limit, what remains, when the next one is allowed if not now, " +
          'and the queued or running submission that blocks a new one. Rejected uploads and system failures are not counted.',
        params: PhaseParams,
        response: { 200: QuotaSchema, ...errorResponses(401, 404) },
      },
    },
    async (request) => phaseQuota(app.db, requireUser(request), request.params.challenge, request.params.phase),
  )
}
export default quota
