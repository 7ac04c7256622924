import { Type, type Static } from '@sinclair/typebox'
import { STATUS } from '@spider-bench/evaluation/status'

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])

export const SubmissionSchema = Type.Object({
  id: Type.String(),
  challenge: Type.String(),
  phase: Type.String(),
  participant: Type.String(),
  kind: Type.String(),
  status: Type.Union([
    Type.Literal(STATUS.queued),
    Type.Literal(STATUS.running),
    Type.Literal(STATUS.succeeded),
    Type.Literal(STATUS.failed),
    Type.Literal(STATUS.cancelled),
  ]),
  progress: Type.Object({ done: Type.Integer(), total: Type.Integer() }),
  error: Type.Optional(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  /** While queued or running (GET /submissions/:id): evaluations ahead of this one plus 1; null once a series of it runs. */
  queuePosition: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
  /** While queued: when it should start (from the work ahead and the last hour's median run time); null without data. */
  estimatedStartAt: Type.Optional(Nullable(Type.String({ format: 'date-time' }))),
  /** While queued or running: why nothing happens, e.g. "no inference worker is connected: ..."; null when workers are there. */
  waitingReason: Type.Optional(Nullable(Type.String())),
  /** What happened to an earlier run, e.g. stopped by the watchdog and queued again; null otherwise. */
  notice: Type.Optional(Nullable(Type.String())),
  /**
   * When the submission succeeded: the scorer's aggregates ({ metric: { mean, std, median, min,
   * max, count } }). Where per-series results are for the organisers, participants get
   * { metric: { mean, count, withheld? } } and mean is null below MIN_AGGREGATE_SERIES series.
   */
  aggregates: Type.Optional(
    Type.Record(Type.String(), Type.Unknown(), {
      description:
        'per metric: { mean, std, median, min, max, count }; ' +
        'under perSeriesVisibility "organisers", participants get { mean, count } only, ' +
        'and mean is null with a "withheld" reason when computed over fewer than MIN_AGGREGATE_SERIES series',
    }),
  ),
})
export type SubmissionView = Static<typeof SubmissionSchema>

export const AcceptedSubmissionSchema = Type.Object({ id: Type.String(), status: Type.Literal(STATUS.queued) })

export const SubmissionSeriesSchema = Type.Object({
  submissionId: Type.String(),
  evaluationId: Nullable(Type.String()),
  testSetVersion: Nullable(Type.Integer()),
  series: Type.Array(
    Type.Object({
      name: Type.String(),
      sequence: Type.String(),
      status: Type.String(),
      error: Nullable(Type.String()),
      metrics: Type.Record(Type.String(), Nullable(Type.Number())),
      structures: Type.Array(Type.Unknown()),
    }),
  ),
})

export const ListSubmissionsQuery = Type.Object({
  mine: Type.Optional(Type.Union([Type.Literal('1'), Type.Literal('true'), Type.Literal('0'), Type.Literal('false')])),
})
export const SubmissionParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) })
