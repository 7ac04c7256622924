import fp from 'fastify-plugin'
import { Queue } from 'bullmq'
import type { FastifyInstance } from 'fastify'
import {
  jobTimingsKey,
  parseWorkerName,
  QUEUE_NAMES,
  queueName,
  removeEvaluationJobs,
  stopEvaluationChannel,
  type EvaluationQueues,
  type JobTiming,
  type WorkerIdentity,
} from '@spider-bench/contracts'
import { ACTIVE_STATUSES, STATUS, statusIn } from '@spider-bench/evaluation'

/** How long a snapshot of the queues is reused (event streams poll every 500 ms). */
const SNAPSHOT_MS = 1000
const HOUR_MS = 3_600_000
/** Evaluations are uuids; job ids of their series are `<evaluation>_<series>`. */
const evaluationOfJob = (jobId: string | undefined) => (jobId ?? '').slice(0, 36)

export type QueueKey = keyof EvaluationQueues

/** Where a submission's evaluation stands in the queues (GET /submissions/:id, its events). */
export interface SubmissionQueueState {
  /** 1: next to start; null once a series of it runs (or it is not queued or running). */
  readonly queuePosition: number | null
  /** When it should start, from the work ahead and the median run time of the last hour; null without data. */
  readonly estimatedStartAt: string | null
  /** Why nothing happens, e.g. "no inference worker is connected"; null when workers are there. */
  readonly waitingReason: string | null
  /** What happened to an earlier run (the watchdog stopped it and queued it again); null otherwise. */
  readonly notice: string | null
}

export const NO_QUEUE_STATE: SubmissionQueueState = { queuePosition: null, estimatedStartAt: null, waitingReason: null, notice: null }

export interface QueueStatus {
  readonly name: string
  readonly waiting: number
  readonly active: number
  readonly delayed: number
  /** Jobs waiting for their children (a score job for its inference job, a flow's parent). */
  readonly waitingChildren: number
  /** Connected workers taking jobs from this queue. */
  readonly workers: number
  /** Over the jobs finished in the last hour: median time from enqueue to start, and median run time. */
  readonly medianWaitMs: number | null
  readonly medianRunMs: number | null
  readonly jobsLastHour: number
}

export interface StatusDocument {
  readonly queues: Record<QueueKey, QueueStatus>
  /** Connected worker processes by role, and how many jobs they run at once. */
  readonly workers: Record<'scoring' | 'inference', { readonly count: number; readonly slots: number }>
  readonly evaluations: { readonly queued: number; readonly running: number }
  readonly generatedAt: string
}

interface ActiveEvaluation {
  readonly id: string
  readonly submissionId: string
  readonly createdAt: Date
  readonly status: string
  readonly kind: string
  readonly progressDone: number
  readonly progressTotal: number
}

interface Snapshot {
  readonly at: number
  readonly workers: Record<QueueKey, WorkerIdentity[]>
  /** Evaluations with a job running now. */
  readonly running: Set<string>
  /** Queued and running evaluations, oldest first; the newest per submission by submission id. */
  readonly evaluations: ActiveEvaluation[]
  readonly bySubmission: Map<string, ActiveEvaluation>
  /** Watchdog notices of active submissions. */
  readonly notices: Map<string, string>
  readonly timings: Record<QueueKey, JobTiming[]>
}

export interface QueueState {
  readonly queues: EvaluationQueues
  /** Queue position, estimated start, waiting reason and notice of a submission (null fields when it is not queued or running). */
  ofSubmission(submissionId: string): Promise<SubmissionQueueState>
  /** GET /api/v1/status */
  status(): Promise<StatusDocument>
  /**
   * Stops an evaluation in Redis (cancel): workers are told (a running model process is
   * killed) and every job of it that is not running is removed; running ones end by themselves.
   */
  stopEvaluation(evaluationId: string, seriesIds: readonly string[]): Promise<string[]>
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Honest queue state: positions, estimates, connected workers (GET /status, submissions). */
    queueState: QueueState
  }
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** Workers of a queue in a CLIENT LIST text: BullMQ names a worker's connection `<prefix>:<base64 queue>:w:<name>`. */
export function workersInClientList(list: string, fullQueueName: string, prefix = 'bull'): WorkerIdentity[] {
  const marker = `${prefix}:${Buffer.from(fullQueueName).toString('base64')}:w:`
  const out: WorkerIdentity[] = []
  for (const line of list.split(/\r?\n/)) {
    const name = / name=(\S+)/.exec(` ${line}`)?.[1]
    if (!name?.startsWith(marker)) continue
    const id = parseWorkerName(name)
    if (id) out.push(id)
  }
  return out
}

/**
 * What the queues look like to a participant, read from Redis (workers connected, jobs
 * running, recent run times written by the workers) and the database (evaluations queued and
 * running). One snapshot serves all requests and event streams for a second.
 */
export default fp(
  async function queueStatePlugin(app: FastifyInstance) {
    const prefix = app.config.queuePrefix
    const names: Record<QueueKey, string> = {
      evaluation: queueName(QUEUE_NAMES.evaluation, prefix),
      scoreSeries: queueName(QUEUE_NAMES.scoreSeries, prefix),
      finalize: queueName(QUEUE_NAMES.finalize, prefix),
      inference: queueName(QUEUE_NAMES.inference, prefix),
    }
    const queues: EvaluationQueues = {
      evaluation: app.evaluationQueue as unknown as Queue,
      scoreSeries: new Queue(names.scoreSeries, { connection: app.redis }),
      finalize: new Queue(names.finalize, { connection: app.redis }),
      inference: new Queue(names.inference, { connection: app.redis }),
    }
    for (const q of [queues.scoreSeries, queues.finalize, queues.inference]) q.on('error', (err) => app.log.warn({ err }, 'queue error'))
    const keys = Object.keys(names) as QueueKey[]

    let current: Snapshot | null = null
    let pending: Promise<Snapshot> | null = null

    async function read(): Promise<Snapshot> {
      const list = String(await app.redis.client('LIST'))
      const workers = Object.fromEntries(keys.map((k) => [k, workersInClientList(list, names[k])])) as Record<QueueKey, WorkerIdentity[]>
      const active = [...(await queues.scoreSeries.getActive()), ...(await queues.inference.getActive())]
      const running = new Set(active.map((j) => evaluationOfJob(j.id)))
      const since = Date.now() - HOUR_MS
      const timings = Object.fromEntries(
        await Promise.all(
          keys.map(async (k) => {
            const raw = await app.redis.lrange(jobTimingsKey(names[k]), 0, -1)
            const parsed = raw.map((r) => JSON.parse(r) as JobTiming).filter((t) => t.at >= since)
            return [k, parsed] as const
          }),
        ),
      ) as Record<QueueKey, JobTiming[]>
      const rows = await app.db.evaluation.findMany({
        where: { status: statusIn(ACTIVE_STATUSES) },
        select: {
          id: true,
          submissionId: true,
          createdAt: true,
          status: true,
          progressDone: true,
          progressTotal: true,
          submission: { select: { kind: true } },
        },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      })
      const evaluations = rows.map((r) => ({
        id: r.id,
        submissionId: r.submissionId,
        createdAt: r.createdAt,
        status: r.status,
        kind: r.submission.kind,
        progressDone: r.progressDone,
        progressTotal: r.progressTotal,
      }))
      const bySubmission = new Map(evaluations.map((e) => [e.submissionId, e]))
      const stalled = await app.db.evaluation.findMany({
        where: { submissionId: { in: [...bySubmission.keys()] }, errorKind: 'stalled' },
        select: { submissionId: true, finishedAt: true },
        orderBy: { createdAt: 'asc' },
      })
      const notices = new Map(stalled.map((s) => [s.submissionId, stalledNotice(s.finishedAt)]))
      return { at: Date.now(), workers, running, evaluations, bySubmission, notices, timings }
    }

    function snapshot(): Promise<Snapshot> {
      if (current && Date.now() - current.at < SNAPSHOT_MS) return Promise.resolve(current)
      pending ??= read()
        .then((s) => (current = s))
        .finally(() => {
          pending = null
        })
      return pending
    }

    function waitingReason(s: Snapshot, kind: string): string | null {
      if (s.workers.evaluation.length === 0)
        return 'no worker is connected: evaluations start once a worker ("spider-bench serve" or "spider-bench worker") connects'
      if (kind === 'algorithm' && s.workers.inference.length === 0)
        return (
          'no inference worker is connected: algorithms run once one connects ' +
          '("spider-bench serve" without --no-inference, or "spider-bench worker --inference")'
        )
      if (s.workers.scoreSeries.length === 0) return 'no scoring worker is connected: series are scored once one connects'
      return null
    }

    async function ofSubmission(submissionId: string): Promise<SubmissionQueueState> {
      const s = await snapshot()
      const mine = s.bySubmission.get(submissionId)
      if (!mine) return NO_QUEUE_STATE
      const notice = s.notices.get(submissionId) ?? null
      const waiting = waitingReason(s, mine.kind)
      if (mine.progressDone > 0 || s.running.has(mine.id))
        return { queuePosition: null, estimatedStartAt: null, waitingReason: waiting, notice }
      // FIFO queues: every unfinished evaluation of the same kind created before this one is ahead.
      const ahead = s.evaluations.filter(
        (e) =>
          e.kind === mine.kind &&
          e.id !== mine.id &&
          (e.createdAt < mine.createdAt || (e.createdAt.getTime() === mine.createdAt.getTime() && e.id < mine.id)),
      )
      const bottleneck: QueueKey = mine.kind === 'algorithm' ? 'inference' : 'scoreSeries'
      const slots = s.workers[bottleneck].reduce((n, w) => n + w.concurrency, 0)
      const perSeries = median(s.timings[bottleneck].map((t) => t.runMs))
      let estimatedStartAt: string | null = null
      if (!waiting && slots > 0) {
        const series = ahead.reduce((n, e) => n + Math.max(0, e.progressTotal - e.progressDone), 0)
        // Rounded up to the minute: a rough figure that does not change on every poll.
        if (series === 0 || perSeries !== null)
          estimatedStartAt = new Date(Math.ceil((s.at + (series * (perSeries ?? 0)) / slots) / 60_000) * 60_000).toISOString()
      }
      return { queuePosition: ahead.length + 1, estimatedStartAt, waitingReason: waiting, notice }
    }

    async function status(): Promise<StatusDocument> {
      const s = await snapshot()
      const counts = await Promise.all(
        keys.map((k) => queues[k].getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'waiting-children')),
      )
      const queueDocs = Object.fromEntries(
        keys.map((k, i) => {
          const c = counts[i]
          const doc: QueueStatus = {
            name: names[k],
            waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
            active: c.active ?? 0,
            delayed: c.delayed ?? 0,
            waitingChildren: c['waiting-children'] ?? 0,
            workers: s.workers[k].length,
            medianWaitMs: median(s.timings[k].map((t) => t.waitMs)),
            medianRunMs: median(s.timings[k].map((t) => t.runMs)),
            jobsLastHour: s.timings[k].length,
          }
          return [k, doc]
        }),
      ) as Record<QueueKey, QueueStatus>
      const role = (ws: WorkerIdentity[]) => ({ count: ws.length, slots: ws.reduce((n, w) => n + w.concurrency, 0) })
      return {
        queues: queueDocs,
        workers: { scoring: role(s.workers.scoreSeries), inference: role(s.workers.inference) },
        evaluations: {
          queued: s.evaluations.filter((e) => e.status === STATUS.queued).length,
          running: s.evaluations.filter((e) => e.status === STATUS.running).length,
        },
        generatedAt: new Date(s.at).toISOString(),
      }
    }

    async function stopEvaluation(evaluationId: string, seriesIds: readonly string[]): Promise<string[]> {
      await app.redis.publish(stopEvaluationChannel(prefix), evaluationId)
      current = null
      return removeEvaluationJobs(queues, evaluationId, seriesIds)
    }

    app.decorate('queueState', { queues, ofSubmission, status, stopEvaluation } satisfies QueueState)
    app.addHook('onClose', async () => {
      await Promise.all([queues.scoreSeries.close(), queues.finalize.close(), queues.inference.close()])
    })
  },
  { name: 'queue-state', dependencies: ['config', 'queue'] },
)

/** The watchdog's notice for a submission (any status), or null when no run of it stalled. */
export async function stalledNoticeOf(db: FastifyInstance['db'], submissionId: string): Promise<string | null> {
  const stalled = await db.evaluation.findFirst({
    where: { submissionId, errorKind: 'stalled' },
    orderBy: { createdAt: 'desc' },
    select: { finishedAt: true },
  })
  return stalled ? stalledNotice(stalled.finishedAt) : null
}

function stalledNotice(at: Date | null): string {
  return (
    `an earlier run made no progress and was stopped by the watchdog${at ? ` at ${at.toISOString()}` : ''} ` +
    '(a system fault: it does not count against your submission limit); it was queued again'
  )
}
