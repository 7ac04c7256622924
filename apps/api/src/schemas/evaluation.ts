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
