import { Type, type Static } from '@sinclair/typebox'

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])

export const LeaderboardColumnSchema = Type.Object({ key: Type.String(), order: Type.Union([Type.Literal('asc'), Type.Literal('desc')]) })

export const LeaderboardRowSchema = Type.Object({
  rank: Type.Integer({ minimum: 1 }),
  participant: Type.String(),
  submissionId: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  rankScore: Nullable(Type.Number()),
  metrics: Type.Record(Type.String(), Nullable(Type.Number()), { description: 'every aggregate metric of the profile: its mean over series' }),
  withheld: Type.Optional(
    Type.Array(Type.String(), {
      description: 'metrics shown as null because, with per-series results for the organisers, their value was computed over fewer than MIN_AGGREGATE_SERIES series',
    }),
  ),
})

export const LeaderboardSchema = Type.Object(
  {
    challenge: Type.String(),
    phase: Type.String(),
    method: Type.String({ description: '"absolute" | "mean-position" | "median-position"' }),
    entries: Type.String({ description: '"best" | "latest" | "all"' }),
    columns: Type.Array(LeaderboardColumnSchema, { description: 'the ranking metrics, most important first' }),
    metricOrder: Type.Array(LeaderboardColumnSchema, { description: 'every metric of the profile with its natural order' }),
    computedAt: Nullable(Type.String({ format: 'date-time' })),
    version: Type.Integer({ minimum: 0, description: '0: no snapshot yet' }),
    scorerVersion: Nullable(Type.String()),
    testSetVersion: Nullable(Type.Integer()),
    rows: Type.Array(LeaderboardRowSchema),
  },
  { $id: 'Leaderboard' },
)
export type LeaderboardView = Static<typeof LeaderboardSchema>

export const LeaderboardQuery = Type.Object({
  at: Type.Optional(Type.String({ description: 'ISO time: the snapshot in force at that time' })),
})
