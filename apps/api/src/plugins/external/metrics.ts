import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { Queue } from 'bullmq'
import { Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { QUEUE_NAMES, queueName } from '@spider-bench/contracts'
import { forbidden, unauthorized } from '../../errors.ts'

const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed', 'completed'] as const
const QUANTILES = [0.5, 0.9, 0.99] as const

/** Linear-interpolated quantile of sorted values (numpy's default). */
export function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo)
}

/**
 * Prometheus metrics at `/metrics`: HTTP latency per route, queue depth per queue and state,
 * evaluations per status, evaluation failures per kind and evaluation durations. Queue and
 * evaluation figures are read at scrape time from Redis and the database, so they cover every
 * worker process, not only one that may run inside this one. Admins (Bearer API token) and
 * scrapers holding METRICS_TOKEN (Bearer) may read it; anyone else gets 401/403.
 */
export default fp(
  async function metrics(app: FastifyInstance) {
    const register = new Registry()
    collectDefaultMetrics({ register, prefix: 'spider_' })

    const httpDuration = new Histogram({
      name: 'spider_http_request_duration_seconds',
      help: 'HTTP request latency by method, route and status code',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [register],
    })
    app.addHook('onResponse', async (request, reply) => {
      // Unmatched URLs share one label value so that scanners cannot blow up cardinality.
      const route = request.routeOptions.url ?? 'unmatched'
      httpDuration.observe({ method: request.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000)
    })

    const queues = Object.values(QUEUE_NAMES).map((name) => new Queue(queueName(name, app.config.queuePrefix), { connection: app.redis }))
    // Connection errors are reported once by the queue plugin's Redis listener and by /readyz.
    for (const queue of queues) queue.on('error', () => undefined)
    new Gauge({
      name: 'spider_queue_jobs',
      help: 'Jobs per queue and state',
      labelNames: ['queue', 'state'] as const,
      registers: [register],
      async collect() {
        this.reset()
        if (app.redis.status !== 'ready') return
        await Promise.all(
          queues.map(async (queue) => {
            const counts = await queue.getJobCounts(...JOB_STATES)
            for (const state of JOB_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0)
          }),
        )
      },
    })

    new Gauge({
      name: 'spider_evaluations',
      help: 'Evaluations per status',
      labelNames: ['status'] as const,
      registers: [register],
      async collect() {
        this.reset()
        const rows = await app.db.evaluation.groupBy({ by: ['status'], _count: { _all: true } })
        for (const row of rows) this.set({ status: row.status }, row._count._all)
      },
    })

    new Gauge({
      name: 'spider_evaluation_failures',
      help: 'Failed evaluations per error kind (input: the participant can act; system: retried faults that gave up)',
      labelNames: ['kind'] as const,
      registers: [register],
      async collect() {
        this.reset()
        const rows = await app.db.evaluation.groupBy({ by: ['errorKind'], where: { status: 'failed' }, _count: { _all: true } })
        for (const row of rows) this.set({ kind: row.errorKind ?? 'unknown' }, row._count._all)
      },
    })

    new Gauge({
      name: 'spider_evaluation_duration_seconds',
      help: 'Duration (start to finish) of the last 1000 finished evaluations, by quantile',
      labelNames: ['quantile'] as const,
      registers: [register],
      async collect() {
        this.reset()
        const rows = await app.db.evaluation.findMany({
          where: { finishedAt: { not: null }, startedAt: { not: null } },
          orderBy: { finishedAt: 'desc' },
          take: 1000,
          select: { startedAt: true, finishedAt: true },
        })
        const seconds = rows.map((r) => ((r.finishedAt as Date).getTime() - (r.startedAt as Date).getTime()) / 1000).sort((a, b) => a - b)
        if (seconds.length === 0) return
        for (const q of QUANTILES) this.set({ quantile: String(q) }, quantile(seconds, q))
      },
    })

    // Not public: per-route status counts and queue depths describe other users' activity.
    app.get('/metrics', { schema: { hide: true }, config: { metricsToken: true } }, async (request, reply) => {
      if (!request.metricsScraper) {
        if (!request.user) throw unauthorized('/metrics needs "Authorization: Bearer <token>" with an admin API token or METRICS_TOKEN')
        if (request.user.role !== 'admin')
          throw forbidden(`/metrics is for admins and the METRICS_TOKEN scraper; you are ${request.user.role}`)
      }
      reply.header('content-type', register.contentType)
      return register.metrics()
    })
    app.addHook('onClose', async () => {
      await Promise.all(queues.map((q) => q.close()))
    })
  },
  { name: 'metrics', dependencies: ['config', 'queue'] },
)
