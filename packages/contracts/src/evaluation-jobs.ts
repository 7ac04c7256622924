import type { Queue } from 'bullmq'
import { evaluationJobId } from './queues/evaluation.ts'
import { finalizeJobId } from './queues/finalize.ts'
import { inferenceJobId } from './queues/inference.ts'
import { scoreSeriesJobId } from './queues/score-series.ts'

/*
 * Job ids of an evaluation are deterministic, so any process can find them: the evaluation job
 * and the flow's parent (`finalize`) use the evaluation id; a series' score job and its
 * inference child use `<evaluation>_<series>` (each queue's module defines its ids).
 */

export interface EvaluationQueues {
  readonly evaluation: Queue
  readonly finalize: Queue
  readonly scoreSeries: Queue
  readonly inference: Queue
}

/**
 * Removes every job of an evaluation that is not running: the evaluation job, then the flow
 * in one call (parent and children) or, when a job of it is running (locked), each job
 * separately, children first. Returns the ids still present (running jobs: they see the
 * evaluation's final status, end at once and are removed on completion).
 */
export async function removeEvaluationJobs(
  queues: EvaluationQueues,
  evaluationId: string,
  seriesIds: readonly string[],
): Promise<string[]> {
  await queues.evaluation.remove(evaluationJobId(evaluationId))
  if ((await queues.finalize.remove(finalizeJobId(evaluationId), { removeChildren: true })) === 1) return []
  const left: string[] = []
  const removeOne = async (queue: Queue, id: string) => {
    const job = await queue.getJob(id)
    if (job && (await queue.remove(id, { removeChildren: false })) !== 1) left.push(`${queue.name}/${id}`)
  }
  for (const s of seriesIds) await removeOne(queues.inference, inferenceJobId(evaluationId, s))
  for (const s of seriesIds) await removeOne(queues.scoreSeries, scoreSeriesJobId(evaluationId, s))
  await removeOne(queues.finalize, finalizeJobId(evaluationId))
  return left
}
