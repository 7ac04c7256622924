/**
 * Queue `spider-score-series`: one `score` job per (evaluation, test series), a child of the
 * evaluation's flow (added with it by `addEvaluationFlow`, queues/finalize.ts). Consumer: the
 * worker's workers/score-series.ts.
 */
import type { FlowJob } from 'bullmq'
import { KEEP_JOBS, SYSTEM_FAULT_RETRY } from '../job-options.ts'

export const SCORE_SERIES_QUEUE = 'spider-score-series'
export const SCORE_SERIES_JOB = 'score'

export interface ScoreSeriesJobData {
  readonly evaluationId: string
  readonly seriesId: string
  readonly traceId?: string
}

/** BullMQ ids may not contain ":". */
export const scoreSeriesJobId = (evaluationId: string, seriesId: string) => `${evaluationId}_${seriesId}`

/** The flow child scoring one series; `children`: its inference job, for an algorithm. */
export function scoreSeriesFlowJob(queueName: string, data: ScoreSeriesJobData, children: FlowJob[]): FlowJob {
  return {
    name: SCORE_SERIES_JOB,
    queueName,
    data,
    opts: { jobId: scoreSeriesJobId(data.evaluationId, data.seriesId), ...SYSTEM_FAULT_RETRY, ...KEEP_JOBS, failParentOnFailure: true },
    children,
  }
}
