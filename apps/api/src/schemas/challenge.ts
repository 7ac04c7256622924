import { Type, type Static } from '@sinclair/typebox'
import { SlugSchema } from './common.ts'

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])

export const RankingMetricSchema = Type.Object(
  { key: Type.String({ minLength: 1, maxLength: 64 }), order: Type.Union([Type.Literal('asc'), Type.Literal('desc')]) },
  { additionalProperties: false },
)

export const RankingSchema = Type.Object(
  {
    method: Type.Union([Type.Literal('mean-position'), Type.Literal('median-position'), Type.Literal('absolute')]),
    metrics: Type.Array(RankingMetricSchema, { minItems: 1, maxItems: 32 }),
    bootstrapSamples: Type.Optional(
      Type.Integer({
        minimum: 100,
        maximum: 10_000,
        description: "bootstrap samples of each snapshot's rank stability figures (default 1000; unchanged when omitted from an update)",
      }),
    ),
    significanceLevel: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        exclusiveMaximum: 1,
        description:
          'significance level of the Holm-adjusted pairwise Wilcoxon tests (default 0.05; unchanged when omitted from an update)',
      }),
    ),
  },
  { additionalProperties: false },
)

export const SubmissionLimitSchema = Type.Object(
  { count: Type.Integer({ minimum: 1, maximum: 100_000 }), periodHours: Type.Integer({ minimum: 1, maximum: 24 * 366 }) },
  { additionalProperties: false },
)

export const ScoringProfileSchema = Type.Union([Type.Literal('spider'), Type.Literal('spider-official')])
export const SubmissionKindSchema = Type.Union([Type.Literal('predictions'), Type.Literal('algorithm')])

const phaseFields = {
  slug: SlugSchema,
  title: Type.String({ minLength: 1, maxLength: 200 }),
  scoringProfile: ScoringProfileSchema,
  submissionKinds: Type.Array(SubmissionKindSchema, { minItems: 1, maxItems: 2, uniqueItems: true }),
  ranking: RankingSchema,
  entries: Type.Union([Type.Literal('best'), Type.Literal('latest'), Type.Literal('all')]),
  submissionLimit: Nullable(SubmissionLimitSchema),
  opensAt: Nullable(Type.String({ format: 'date-time' })),
  closesAt: Nullable(Type.String({ format: 'date-time' })),
  perSeriesVisibility: Type.Union([Type.Literal('owner'), Type.Literal('organisers')]),
}

export const CreatePhaseSchema = Type.Object(
  {
    ...phaseFields,
    submissionLimit: Type.Optional(phaseFields.submissionLimit),
    opensAt: Type.Optional(phaseFields.opensAt),
    closesAt: Type.Optional(phaseFields.closesAt),
  },
  { additionalProperties: false },
)
export type CreatePhase = Static<typeof CreatePhaseSchema>

export const UpdatePhaseSchema = Type.Partial(Type.Object(phaseFields, { additionalProperties: false }), {
  additionalProperties: false,
  minProperties: 1,
})
export type UpdatePhase = Static<typeof UpdatePhaseSchema>

export const PublicSeriesSchema = Type.Object({ name: Type.String(), sequence: Type.String(), size: Type.Array(Type.Integer()) })

export const TestSetSummarySchema = Type.Object({
  version: Type.Integer(),
  count: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
  /** In phases that accept predictions: each series' name, sequence and voxel grid size (what a prediction must match). */
  series: Type.Optional(Type.Array(PublicSeriesSchema)),
})

/** What an algorithm submission gets per test series, and the largest model accepted. */
export const PhaseResourcesSchema = Type.Object({
  inferenceTimePerSeriesMs: Type.Integer({ description: 'wall-clock limit per test series; the model process is killed after it' }),
  memoryLimitMb: Type.Integer({ description: 'resident memory limit of the model process, MiB' }),
  executionProviders: Type.Array(Type.String(), {
    description: "onnxruntime execution providers offered, in order; the config's executionProviders pick among them, CPU last",
  }),
  maxModelBytes: Type.Integer({ description: 'largest model file accepted' }),
})

export const PhaseSchema = Type.Object({
  slug: Type.String(),
  title: Type.String(),
  scoringProfile: Type.String(),
  submissionKinds: Type.Array(Type.String()),
  ranking: Type.Object({
    method: Type.String(),
    metrics: Type.Array(Type.Object({ key: Type.String(), order: Type.String() })),
    bootstrapSamples: Type.Integer(),
    significanceLevel: Type.Number(),
  }),
  entries: Type.String(),
  submissionLimit: Nullable(Type.Object({ count: Type.Integer(), periodHours: Type.Integer() })),
  opensAt: Nullable(Type.String({ format: 'date-time' })),
  closesAt: Nullable(Type.String({ format: 'date-time' })),
  perSeriesVisibility: Type.String(),
  /** The current hidden test set: version, series count and (predictions phases) series names and sizes, never its content. */
  testSet: Nullable(TestSetSummarySchema),
  resources: PhaseResourcesSchema,
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
})
export type PhaseView = Static<typeof PhaseSchema>

export const CreateChallengeSchema = Type.Object(
  {
    slug: SlugSchema,
    title: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String({ maxLength: 20_000 })),
  },
  { additionalProperties: false },
)
export type CreateChallenge = Static<typeof CreateChallengeSchema>

export const ChallengeSchema = Type.Object({
  slug: Type.String(),
  title: Type.String(),
  description: Nullable(Type.String()),
  owner: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  phases: Type.Array(PhaseSchema),
})
export type ChallengeView = Static<typeof ChallengeSchema>

export const ChallengeParams = Type.Object({ challenge: Type.String() })
export const PhaseParams = Type.Object({ challenge: Type.String(), phase: Type.String() })
