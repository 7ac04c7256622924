import { Type, type Static } from '@sinclair/typebox'

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])

export const QuotaSchema = Type.Object({
  /** The phase's submission limit; null: none. */
  limit: Nullable(Type.Object({ count: Type.Integer(), periodHours: Type.Integer() })),
  /** Counted submissions in the limit's window (all counted ones without a limit). */
  used: Type.Integer(),
  /** Submissions left in the window; null without a limit. */
  remaining: Nullable(Type.Integer()),
  /** The earliest time of the next submission when it is not now (limit reached, phase not open yet). */
  nextAt: Nullable(Type.String({ format: 'date-time' })),
  /** The caller's submission queued or running in this phase, which blocks a new one. */
  activeSubmissionId: Nullable(Type.String()),
})
export type QuotaView = Static<typeof QuotaSchema>
