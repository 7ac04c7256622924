/**
 * Queue `spider-finalize`: the parent job of an evaluation's flow, run once every series is
 * scored (aggregates, leaderboard). `addEvaluationFlow` is the only producer of the flow:
 * the parent, one score job per series (queues/score-series.ts) and, for an algorithm, an
 * inference job under each (queues/inference.ts). Consumer: the worker's workers/finalize.ts.
 */
import type { FlowProducer } from 'bullmq'
import { KEEP_JOBS, SYSTEM_FAULT_RETRY, type EvaluationRef } from '../job-options.ts'
import { inferenceFlowJob } from './inference.ts'
import { scoreSeriesFlowJob } from './score-series.ts'

export const FINALIZE_QUEUE = 'spider-finalize'
export const FINALIZE_JOB = 'finalize'

export type FinalizeJobData = EvaluationRef

/** The flow's parent has the evaluation's id (in its own queue). */
export const finalizeJobId = (evaluationId: string) => evaluationId

export interface EvaluationFlow {
  readonly evaluationId: string
  readonly traceId?: string
  /** Test series ids, in the order they should start. */
  readonly seriesIds: readonly string[]
  /** An algorithm: each series is first inferred by an inference worker. */
  readonly algorithm: boolean
}

/** Adds an evaluation's flow; `names`: the full queue names (with the test prefix, if any). */
export async function addEvaluationFlow(
  flows: FlowProducer,
  names: { readonly finalize: string; readonly scoreSeries: string; readonly inference: string },
  flow: EvaluationFlow,
): Promise<void> {
  const { evaluationId, traceId } = flow
  const trace = traceId ? { traceId } : {}
  const data: FinalizeJobData = { evaluationId, ...trace }
  await flows.add({
    name: FINALIZE_JOB,
    queueName: names.finalize,
    data,
    opts: { jobId: finalizeJobId(evaluationId), ...SYSTEM_FAULT_RETRY, ...KEEP_JOBS },
    children: flow.seriesIds.map((seriesId) => {
      const child = { evaluationId, seriesId, ...trace }
      return scoreSeriesFlowJob(names.scoreSeries, child, flow.algorithm ? [inferenceFlowJob(names.inference, child)] : [])
    }),
  })
}
