import { type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { ApiError } from '../../../errors.ts'
import { errorResponses } from '../../../schemas/common.ts'

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])

const QueueStatusSchema = Type.Object({
  name: Type.String(),
  waiting: Type.Integer(),
  active: Type.Integer(),
  delayed: Type.Integer(),
  waitingChildren: Type.Integer({ description: "jobs waiting for their children (a score job for its inference job, a flow's parent)" }),
  workers: Type.Integer({ description: 'connected workers taking jobs from this queue' }),
  medianWaitMs: Nullable(Type.Number({ description: 'median time from enqueue to start over the jobs finished in the last hour' })),
  medianRunMs: Nullable(Type.Number({ description: 'median run time over the jobs finished in the last hour' })),
  jobsLastHour: Type.Integer(),
})
const RoleSchema = Type.Object({ count: Type.Integer(), slots: Type.Integer({ description: 'jobs they run at once' }) })

export const StatusSchema = Type.Object({
  queues: Type.Object({
    evaluation: QueueStatusSchema,
    scoreSeries: QueueStatusSchema,
    finalize: QueueStatusSchema,
    inference: QueueStatusSchema,
  }),
  workers: Type.Object({ scoring: RoleSchema, inference: RoleSchema }),
  evaluations: Type.Object({ queued: Type.Integer(), running: Type.Integer() }),
  generatedAt: Type.String({ format: 'date-time' }),
})

/** Public state of the evaluation queues: is anything running, is anyone there to run it. */
const status: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/status',
    {
      schema: {
        tags: ['status'],
        security: [],
        description:
          'Per queue: waiting and active jobs, connected workers, median wait and run time over the last hour; ' +
          'connected worker processes by role (scoring, inference).',
        response: { 200: StatusSchema, ...errorResponses(503) },
      },
    },
    async (request) => {
      try {
        return await app.queueState.status()
      } catch (err) {
        request.log.warn({ err }, 'queue status unavailable')
        throw new ApiError(503, 'unavailable', 'the queue status is unavailable: Redis does not answer; retry shortly')
      }
    },
  )
}
export default status
