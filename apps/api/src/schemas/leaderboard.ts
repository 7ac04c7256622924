import { Type, type Static } from '@sinclair/typebox'

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T, options?: { description: string }) =>
  Type.Union([t, Type.Null()], options)

export const LeaderboardColumnSchema = Type.Object({ key: Type.String(), order: Type.Union([Type.Literal('asc'), Type.Literal('desc')]) })

/** How sure a row's rank is: its bootstrap rank distribution (see the stability route). */
export const RankUncertaintySchema = Type.Object({
  medianRank: Type.Number({ description: 'median of the bootstrap ranks' }),
  rankInterval: Type.Tuple([Type.Number(), Type.Number()], {
    description: '95 % rank interval: 2.5th and 97.5th percentiles of the bootstrap ranks',
  }),
  pFirst: Type.Number({ minimum: 0, maximum: 1, description: 'share of bootstrap samples in which the entry ranks first' }),
})

export const LeaderboardRowSchema = Type.Object({
  rank: Type.Integer({ minimum: 1 }),
  participant: Type.String(),
  submissionId: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  rankScore: Nullable(Type.Number()),
  uncertainty: Nullable(RankUncertaintySchema, { description: 'null for snapshots computed before rank stability existed' }),
  metrics: Type.Record(Type.String(), Nullable(Type.Number()), {
    description: 'every aggregate metric of the profile: its mean over series',
  }),
  withheld: Type.Optional(
    Type.Array(Type.String(), {
      description:
        'metrics shown as null because, with per-series results for the organisers, ' +
        'their value was computed over fewer than MIN_AGGREGATE_SERIES series',
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

const Matrix = <T extends Parameters<typeof Type.Array>[0]>(cell: T, description: string) => Type.Array(Type.Array(cell), { description })

/** Bootstrap rank intervals and pairwise significance of a snapshot, computed when it was made. */
export const LeaderboardStabilitySchema = Type.Object(
  {
    challenge: Type.String(),
    phase: Type.String(),
    version: Type.Integer({ minimum: 0, description: 'the snapshot; 0: no snapshot yet' }),
    computedAt: Nullable(Type.String({ format: 'date-time' })),
    samples: Type.Integer({
      minimum: 0,
      description: 'bootstrap samples B; 0 when the snapshot has no stability figures (none yet, or computed before they existed)',
    }),
    seed: Nullable(
      Type.Integer({ minimum: 0, description: 'seed of the bootstrap generator, derived from the phase and snapshot version' }),
    ),
    alpha: Nullable(Type.Number({ description: 'significance level of the Holm-adjusted tests' })),
    series: Type.Integer({ minimum: 0, description: 'test series resampled' }),
    kendallTau: Nullable(
      Type.Object(
        { median: Type.Number(), q25: Type.Number(), q75: Type.Number() },
        { description: "Kendall's τ-b between the board's ranking and each bootstrap sample's" },
      ),
    ),
    entries: Type.Array(
      Type.Object({
        submissionId: Type.String(),
        medianRank: Type.Number(),
        rankInterval: Type.Tuple([Type.Number(), Type.Number()]),
        pFirst: Type.Number(),
        beats: Type.Array(Type.String(), { description: 'entries it significantly beats on the primary (first) ranking metric' }),
      }),
      { description: "the board's rows, in its order" },
    ),
    metrics: Type.Array(
      Type.Object({
        key: Type.String(),
        order: Type.Union([Type.Literal('asc'), Type.Literal('desc')]),
        entries: Type.Array(Type.String(), { description: 'submission ids: the rows and columns of the matrices, in board order' }),
        pValues: Matrix(
          Nullable(Type.Number()),
          'pValues[i][j]: one-sided paired Wilcoxon signed-rank p-value of "entry i better than entry j" ' +
            'over the series both have (null on the diagonal)',
        ),
        adjusted: Matrix(Nullable(Type.Number()), 'Holm-adjusted over all ordered pairs of this metric'),
        significant: Matrix(Type.Boolean(), 'adjusted[i][j] < alpha'),
      }),
      { description: 'one per ranking metric, oriented by its order' },
    ),
    tiedForFirst: Type.Array(Type.String(), { description: 'entries not significantly worse than the leader(s) on the primary metric' }),
  },
  { $id: 'LeaderboardStability' },
)
export type LeaderboardStabilityView = Static<typeof LeaderboardStabilitySchema>
