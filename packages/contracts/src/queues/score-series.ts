/**
 * Queue `spider-score-series`: one `score` job per (evaluation, test series), a child of the
 * evaluation's flow (added with it by `addEvaluationFlow`, queues/finalize.ts). Consumer: the
 * worker's workers/score-series.ts.
 */
import type { FlowJob } from 'bullmq'
import { flowChildOptions, seriesJobId, type SeriesRef } from '../job-options.ts'

export const SCORE_SERIES_QUEUE = 'spider-score-series'
export const SCORE_SERIES_JOB = 'score'

export type ScoreSeriesJobData = SeriesRef

export const scoreSeriesJobId = seriesJobId

/** The flow child scoring one series; `children`: its inference job, for an algorithm. */
export function scoreSeriesFlowJob(queueName: string, data: ScoreSeriesJobData, children: FlowJob[]): FlowJob {
  return {
    name: SCORE_SERIES_JOB,
    queueName,
    data,
    opts: flowChildOptions(scoreSeriesJobId(data.evaluationId, data.seriesId)),
    children,
  }
}
