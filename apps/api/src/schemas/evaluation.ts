import { Type } from '@sinclair/typebox'

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])

export const SubmissionIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) })

export const ReevaluationSchema = Type.Object(
  {
    created: Type.Array(Type.Object({ submissionId: Type.String(), evaluationId: Type.String() })),
    skipped: Type.Array(Type.Object({ submissionId: Type.String(), reason: Type.String() })),
  },
  { $id: 'Reevaluation' },
)

export const ProgressEventSchema = Type.Object({
  submissionId: Type.String(),
  status: Type.String(),
  error: Nullable(Type.String()),
  evaluationId: Nullable(Type.String()),
  evaluationStatus: Nullable(Type.String()),
  progress: Type.Object({ done: Type.Integer(), total: Type.Integer() }),
})

export const SeriesResultSchema = Type.Object({
  name: Type.String(),
  sequence: Type.String(),
  status: Type.String(),
  error: Nullable(Type.String()),
  metrics: Type.Record(Type.String(), Nullable(Type.Number())),
  structures: Type.Array(Type.Unknown()),
})

export const SubmissionResultsSchema = Type.Object(
  {
    submissionId: Type.String(),
    evaluationId: Nullable(Type.String()),
    status: Nullable(Type.String()),
    scorerVersion: Nullable(Type.String()),
    testSetVersion: Nullable(Type.Integer()),
    aggregates: Nullable(Type.Unknown()),
    bySequence: Nullable(Type.Unknown()),
    perSeriesVisibility: Type.String(),
    /** null when the phase hides per-series results from the caller */
    series: Nullable(Type.Array(SeriesResultSchema)),
  },
  { $id: 'SubmissionResults' },
)
