import { type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { errorResponses } from '../../../schemas/common.ts'
import { PhaseParams } from '../../../schemas/challenge.ts'
import { LeaderboardColumnSchema } from '../../../schemas/leaderboard.ts'
import { parseAt } from '../../../services/leaderboards.ts'
import { getLeaderboardAggregates, getLeaderboardHistory } from '../../../services/leaderboard-views.ts'

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])

const AggregateSchema = Nullable(Type.Object({ mean: Nullable(Type.Number()), std: Nullable(Type.Number()), count: Type.Integer() }))
const LeaderboardAggregatesSchema = Type.Object({
  challenge: Type.String(),
  phase: Type.String(),
  version: Type.Integer(),
  computedAt: Nullable(Type.String({ format: 'date-time' })),
  sequence: Nullable(Type.String()),
  sequences: Type.Array(Type.String()),
  tiedForFirst: Type.Array(Type.String(), {
    description: "submission ids not significantly worse than the leader(s) on the primary metric (the stability figures' tiedForFirst)",
  }),
  alpha: Nullable(Type.Number({ description: 'significance level of those tests; null without stability figures' })),
  columns: Type.Array(LeaderboardColumnSchema),
  rows: Type.Array(
    Type.Object({
      rank: Type.Integer(),
      participant: Type.String(),
      submissionId: Type.String(),
      createdAt: Type.String({ format: 'date-time' }),
      rankScore: Nullable(Type.Number()),
      metrics: Type.Record(Type.String(), AggregateSchema),
      withheld: Type.Optional(Type.Array(Type.String())),
    }),
  ),
})

const LeaderboardHistorySchema = Type.Object({
  challenge: Type.String(),
  phase: Type.String(),
  metric: Nullable(Type.String({ description: 'the primary ranking metric of the newest snapshot' })),
  points: Type.Array(
    Type.Object({
      version: Type.Integer(),
      computedAt: Type.String({ format: 'date-time' }),
      leaders: Type.Array(
        Type.Object({ rank: Type.Integer(), participant: Type.String(), submissionId: Type.String(), value: Nullable(Type.Number()) }),
      ),
    }),
  ),
})

/** Public views of a board for the web pages: spread and per-sequence tables, and its history. */
const leaderboardViews: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/challenges/:challenge/phases/:phase/leaderboard/aggregates',
    {
      schema: {
        tags: ['leaderboards'],
        security: [],
        description:
          "The board's entries (now or `?at=`) with mean, standard deviation and series count per metric, " +
          'over all series or one sequence (`?sequence=t1|t2|t2_SPACE|unknown`, ' +
          "re-ranked by the phase's method among the same entries). " +
          'Under perSeriesVisibility "organisers": no spread, and no value over fewer than MIN_AGGREGATE_SERIES series.',
        params: PhaseParams,
        querystring: Type.Object({ at: Type.Optional(Type.String()), sequence: Type.Optional(Type.String()) }),
        response: { 200: LeaderboardAggregatesSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) =>
      getLeaderboardAggregates(
        app.db,
        request.params.challenge,
        request.params.phase,
        parseAt(request.query.at),
        request.query.sequence ?? null,
        app.config.minAggregateSeries,
      ),
  )

  app.get(
    '/challenges/:challenge/phases/:phase/leaderboard/history',
    {
      schema: {
        tags: ['leaderboards'],
        security: [],
        description: 'The leaders (rank, participant, primary metric) of the newest `limit` snapshots (default 100), oldest first.',
        params: PhaseParams,
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
          leaders: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })),
        }),
        response: { 200: LeaderboardHistorySchema, ...errorResponses(400, 404) },
      },
    },
    async (request) =>
      getLeaderboardHistory(
        app.db,
        request.params.challenge,
        request.params.phase,
        request.query.limit ?? 100,
        request.query.leaders ?? 5,
        app.config.minAggregateSeries,
      ),
  )
}
export default leaderboardViews
