/**
 * Stuck submissions: the watchdog stops an evaluation that makes no progress (a model that
 * runs far longer than the phase allows, the runner's own limit being looser), as a system
 * fault that is not charged, queues it again once and fails it the second time; cancelling
 * removes every job of the evaluation from Redis and kills the running model process. Real
 * API, workers, Redis, Postgres and onnxruntime model processes.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { Redis } from 'ioredis'
import { Queue } from 'bullmq'
import { QUEUE_NAMES, queueName } from '@spider-bench/contracts'
import { isAlive, modelProcessesOf, slowModel } from '@spider-bench/inference/testing'
import { startWorkers, type RunningWorkers } from '@spider-bench/worker'
import { startHarness, type Harness } from '../apps/api/src/testing/harness.ts'
import { apiClient, PHASE_BODY } from '../apps/api/src/testing/client.ts'
import { mhaBytes } from '../apps/api/src/testing/images.ts'

const CONFIG = {
  schemaVersion: 1,
  input: { channels: ['image'], spacing: null },
  normalization: { kind: 'z-score' },
  slidingWindow: { patchSize: [32, 32, 32], overlap: 0, blending: 'constant' },
  output: { kind: 'logits', channels: [{ class: 'background' }, { class: 'vertebra' }] },
  executionProviders: ['cpu'],
}
/** The watchdog's allowance for one series in this test: 0 + 1 x (500 + 1000) ms; the model runs for many seconds (beforeAll). */
const WATCHDOG = { watchdogGraceMs: 0, watchdogSeriesMs: 500, inferenceTimeLimitMs: 1000 }

/** Model processes (packages/inference/src/runner/child-main.ts) that this process started. */
const modelProcesses = async () => (await modelProcessesOf(process.pid)).map((p) => p.pid)
const alive = isAlive

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 120_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const value = await fn()
    if (value) return value
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('watchdog and cancel (postgres, real model processes)', () => {
  let h: Harness
  let api: ReturnType<typeof apiClient>
  let workers: RunningWorkers
  let redis: Redis
  let inferenceQueue: Queue
  const tokens: Record<string, string> = {}
  const base = '/api/v1/challenges/spine/phases/algo'

  /** Every Redis key and queued job of an evaluation, in the test's queues. */
  async function jobsOf(evaluationId: string): Promise<string[]> {
    const found: string[] = []
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `bull:${h.config.queuePrefix}-*`, 'COUNT', '1000')
      cursor = next
      found.push(...keys.filter((k) => k.includes(evaluationId)))
    } while (cursor !== '0')
    for (const q of Object.values(QUEUE_NAMES)) {
      const name = queueName(q, h.config.queuePrefix)
      for (const list of ['wait', 'active', 'paused', 'prioritized', 'delayed', 'completed', 'failed', 'waiting-children']) {
        const key = `bull:${name}:${list}`
        const type = await redis.type(key)
        const members = type === 'list' ? await redis.lrange(key, 0, -1) : type === 'zset' ? await redis.zrange(key, '0', '-1') : []
        found.push(...members.filter((m) => m.includes(evaluationId)).map((m) => `${key} ${m}`))
      }
    }
    return found
  }

  async function submit(who: string): Promise<{ submissionId: string; evaluationId: string }> {
    const form = new FormData()
    form.append('kind', 'algorithm')
    form.append('model', new Blob([await readFile(join(h.dataDir, 'slow.onnx'))]), 'model.onnx')
    form.append('config', new Blob([JSON.stringify(CONFIG)]), 'config.json')
    const res = await fetch(`${h.url}${base}/submissions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens[who]}` },
      body: form,
    })
    expect(res.status, await res.clone().text()).toBe(202)
    const { id } = (await res.json()) as { id: string }
    const evaluation = await h.db.prisma.evaluation.findFirstOrThrow({ where: { submissionId: id } })
    return { submissionId: id, evaluationId: evaluation.id }
  }

  /** The model process running an evaluation's series, once its inference job is active. */
  async function runningModel(evaluationId: string): Promise<number> {
    return until(`a model process running evaluation ${evaluationId}`, async () => {
      const evaluation = await h.db.prisma.evaluation.findUniqueOrThrow({ where: { id: evaluationId } })
      if (evaluation.status !== 'running') return null
      const active = await inferenceQueue.getActive()
      if (!active.some((j) => j.data.evaluationId === evaluationId)) return null
      const pids = await modelProcesses()
      return pids.length === 1 ? pids[0] : null
    })
  }

  beforeAll(async () => {
    h = await startHarness('postgres')
    api = apiClient(h.url, h.dataDir)
    redis = new Redis(h.config.redisUrl, { maxRetriesPerRequest: null })
    inferenceQueue = new Queue(queueName(QUEUE_NAMES.inference, h.config.queuePrefix), { connection: redis })
    // 24 layers of 48-channel 3x3x3 convolutions over 8 patches: about 400 GFLOP, many seconds on
    // any CPU (the default slowModel() ran one series in 0.7 s on an unloaded AVX-512 machine,
    // finishing before the watchdog looked).
    await writeFile(join(h.dataDir, 'slow.onnx'), slowModel(24))
    const organiser = (await h.user('org', 'organiser')).token
    for (const who of ['alice', 'bob']) tokens[who] = (await h.user(who, 'participant')).token
    expect((await api.json(organiser, 'POST', '/api/v1/challenges', { slug: 'spine', title: 'Spine' })).status).toBe(201)
    const phase = await api.json(organiser, 'POST', '/api/v1/challenges/spine/phases', {
      ...PHASE_BODY,
      slug: 'algo',
      submissionKinds: ['algorithm'],
      submissionLimit: { count: 2, periodHours: 24 },
    })
    expect(phase.status).toBe(201)
    const set = await api.archive([
      { name: 'images/1_t2.mha', data: await mhaBytes('image', { size: [64, 64, 64] }) },
      { name: 'masks/1_t2.mha', data: await mhaBytes('mask', { size: [64, 64, 64] }) },
    ])
    expect((await api.multipart(organiser, 'PUT', `${base}/test-set`, { archive: set })).status).toBe(200)
    workers = await startWorkers({
      prisma: h.db.prisma,
      storage: h.storage,
      redisUrl: h.config.redisUrl,
      queuePrefix: h.config.queuePrefix,
      inference: true,
      logger: pino({ level: process.env.LOG_LEVEL ?? 'silent' }),
      config: { concurrency: 1, reconcileIntervalMs: 3_600_000, reconcileGraceMs: 3_600_000, ...WATCHDOG },
    })
  })

  afterAll(async () => {
    await workers?.close()
    await inferenceQueue?.close()
    redis?.disconnect()
    await h?.close()
  })

  it('cancel removes every job of the evaluation from Redis and kills the running model process', async () => {
    const { submissionId, evaluationId } = await submit('alice')
    const pid = await runningModel(evaluationId)
    expect((await jobsOf(evaluationId)).length).toBeGreaterThan(0)
    const res = await api.json(tokens.alice, 'POST', `/api/v1/submissions/${submissionId}/cancel`)
    expect(res.status).toBe(200)
    expect(((await res.json()) as { status: string }).status).toBe('cancelled')
    await until('the model process to end', async () => !alive(pid), 30_000)
    await until('no job of the evaluation left in Redis', async () => (await jobsOf(evaluationId)).length === 0, 30_000).catch(
      async (err: Error) => {
        throw new Error(`${err.message}: ${(await jobsOf(evaluationId)).join(', ')}`)
      },
    )
    expect(await modelProcesses()).toEqual([])
    expect((await h.db.prisma.evaluation.findUniqueOrThrow({ where: { id: evaluationId } })).status).toBe('cancelled')
  })

  /**
   * Runs the watchdog until it acts (a no-op while the evaluation is within its allowance):
   * on a loaded machine the model may start late in the job, so a fixed wait can fall short.
   */
  async function watchdogUntilActs(): Promise<Awaited<ReturnType<typeof workers.watchdog>>> {
    for (let i = 0; ; i++) {
      await new Promise((r) => setTimeout(r, i === 0 ? 1600 : 250))
      const outcome = await workers.watchdog()
      if (outcome.requeued.length > 0 || outcome.failed.length > 0 || i >= 80) return outcome
    }
  }

  it('stops a stalled evaluation as a system fault, requeues it once, then fails it without charging the participant', async () => {
    const quota = async () =>
      (await (await api.json(tokens.bob, 'GET', `${base}/quota`)).json()) as {
        used: number
        remaining: number
        activeSubmissionId: string | null
      }
    expect(await quota()).toMatchObject({ used: 0, remaining: 2, activeSubmissionId: null })
    const { submissionId, evaluationId } = await submit('bob')
    expect(await quota()).toMatchObject({ used: 1, remaining: 1, activeSubmissionId: submissionId })

    // First stall: the model runs past the phase's allowance.
    const firstPid = await runningModel(evaluationId)
    const first = await watchdogUntilActs()
    expect(first.requeued).toEqual([{ stalled: evaluationId, evaluationId: expect.any(String) }])
    const stalled = await h.db.prisma.evaluation.findUniqueOrThrow({ where: { id: evaluationId } })
    expect(stalled).toMatchObject({ status: 'failed', errorKind: 'stalled' })
    expect(stalled.error).toMatch(/^stopped by the watchdog: no progress for 1 min \(this phase allows 1 min for 1 series\)$/)
    await until('the stalled model process to be killed', async () => !alive(firstPid), 30_000)
    const view = (await (await api.json(tokens.bob, 'GET', `/api/v1/submissions/${submissionId}`)).json()) as {
      status: string
      notice: string | null
      error?: string
    }
    expect(['queued', 'running']).toContain(view.status)
    expect(view.error).toBeUndefined()
    expect(view.notice).toMatch(
      new RegExp(
        /^an earlier run made no progress and was stopped by the watchdog at .+ /.source +
          /\(a system fault: it does not count against your submission limit\); it was queued again$/.source,
      ),
    )

    // Second stall of the re-queued evaluation: the submission fails, not counted.
    const again = first.requeued[0].evaluationId
    await runningModel(again)
    const second = await watchdogUntilActs()
    expect(second).toMatchObject({ requeued: [], failed: [again] })
    const failed = (await (await api.json(tokens.bob, 'GET', `/api/v1/submissions/${submissionId}`)).json()) as {
      status: string
      error: string
    }
    expect(failed.status).toBe('failed')
    expect(failed.error).toMatch(
      new RegExp(
        /^evaluation failed for a system reason \(the evaluation made no progress twice and was stopped: no progress for .+\); /.source +
          /this does not count against your submission limit/.source,
      ),
    )
    expect(await quota()).toMatchObject({ used: 0, remaining: 2, activeSubmissionId: null })
    await until(
      'the model process to end and the jobs to go',
      async () => (await modelProcesses()).length === 0 && (await jobsOf(again)).length === 0 && (await jobsOf(evaluationId)).length === 0,
      30_000,
    )
    // Only the two evaluations: no third run.
    expect(await h.db.prisma.evaluation.count({ where: { submissionId } })).toBe(2)
  })
})
