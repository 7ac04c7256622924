import { type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { forbidden } from '../../../errors.ts'
import { requireUser } from '../../../plugins/app/auth.ts'
import { errorResponses } from '../../../schemas/common.ts'
import { SubmissionParams } from '../../../schemas/submission.ts'
import { canManage } from '../../../services/challenges.ts'
import { assertCanSee, findSubmission } from '../../../services/evaluations.ts'

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])
const iso = (d: Date | null) => d?.toISOString() ?? null

const EvaluationLogSchema = Type.Object({
  id: Type.String(),
  testSetVersion: Type.Integer(),
  sanityCases: Type.Boolean({ description: 'true: the canary run on the public sanity cases' }),
  status: Type.String(),
  errorKind: Nullable(Type.String({ description: '"input" (the participant can act on it) or "system"' })),
  error: Nullable(Type.String()),
  progress: Type.Object({ done: Type.Integer(), total: Type.Integer() }),
  scorerVersion: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  startedAt: Nullable(Type.String({ format: 'date-time' })),
  finishedAt: Nullable(Type.String({ format: 'date-time' })),
  failedSeries: Type.Array(Type.Object({ name: Type.String(), error: Nullable(Type.String()), durationMs: Nullable(Type.Integer()) })),
})

/**
 * Every evaluation of a submission with its failures (the run's error and kind, each failed
 * series' message, timings): what organisers read to explain a failure. Organisers of the
 * challenge and admins only.
 */
const submissionEvaluations: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/submissions/:id/evaluations',
    {
      schema: {
        tags: ['evaluations'],
        params: SubmissionParams,
        response: { 200: Type.Array(EvaluationLogSchema), ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => {
      const submission = await findSubmission(app.db, request.params.id)
      assertCanSee(request.user, submission)
      const user = requireUser(request)
      if (!canManage(user, submission.phase.challenge))
        throw forbidden("the evaluation log of a submission is for the challenge's organisers")
      const rows = await app.db.evaluation.findMany({
        where: { submissionId: submission.id },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        include: {
          testSet: { select: { version: true, public: true } },
          results: {
            where: { status: 'error' },
            select: { seriesName: true, error: true, durationMs: true },
            orderBy: { seriesName: 'asc' },
          },
        },
      })
      return rows.map((e) => ({
        id: e.id,
        testSetVersion: e.testSet.version,
        sanityCases: e.testSet.public,
        status: e.status,
        errorKind: e.errorKind,
        error: e.error,
        progress: { done: e.progressDone, total: e.progressTotal },
        scorerVersion: e.scorerVersion,
        createdAt: e.createdAt.toISOString(),
        startedAt: iso(e.startedAt),
        finishedAt: iso(e.finishedAt),
        failedSeries: e.results.map((r) => ({ name: r.seriesName, error: r.error, durationMs: r.durationMs })),
      }))
    },
  )
}
export default submissionEvaluations
