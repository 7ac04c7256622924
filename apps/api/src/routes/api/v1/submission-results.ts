import { type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errorResponses } from '../../../schemas/common.ts'
import { SubmissionIdParams, SubmissionResultsSchema } from '../../../schemas/evaluation.ts'
import { submissionResults } from '../../../services/submission-results.ts'

/** A submission's aggregates and, as the phase's perSeriesVisibility allows, per-series results. */
const submissionResultsRoute: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/submissions/:id/results',
    { schema: { tags: ['submissions'], params: SubmissionIdParams, response: { 200: SubmissionResultsSchema, ...errorResponses(401, 403, 404) } } },
    async (request) => submissionResults(app.db, request.user, request.params.id),
  )
}
export default submissionResultsRoute
