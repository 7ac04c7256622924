/**
 * Fault: an inference worker is killed with SIGKILL while it runs a participant's model (the
 * example algorithm) on the hidden series. Its model process must not outlive it (it exits when
 * its IPC channel to the worker closes), nor leave its sandbox (a copy of the model and of the
 * hidden series, readable by every later model process) in the temp folder; the series that was running is taken over by a new
 * worker once the job lock expires (WORKER_LOCK_MS) and retried once; the submission succeeds,
 * uncharged by the fault, and the invariants hold.
 */
import { existsSync } from 'node:fs'
import { readlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest'
import { cachedExampleAlgorithm, isAlive, modelProcessesOf } from '@spider-bench/inference/testing'
import { QUEUE_NAMES, queueName } from '@spider-bench/contracts'
import { FaultBench, recordFigures, until, type Accepted } from './harness.ts'
import { checkInvariants } from './invariants.ts'

const LOCK_MS = 3000

const modelPids = async (ppid: number) => (await modelProcessesOf(ppid)).map((p) => p.pid)

describe('fault: an inference worker killed with SIGKILL during inference', () => {
  let bench: FaultBench
  let example: { modelPath: string; configPath: string }

  beforeAll(async () => {
    // Trained once per source version and cached in the temp folder (minutes the first time).
    example = await cachedExampleAlgorithm()
    bench = await FaultBench.start({ env: { WORKER_LOCK_MS: String(LOCK_MS) } })
    await bench.startApi()
  }, 900_000)
  afterAll(async () => {
    await bench?.close()
  })

  it('the model process dies with the worker; the series is retried once by another worker; the submission succeeds', async () => {
    onTestFailed(() => {
      process.stderr.write(bench.logs())
    })
    const phase = await bench.setupPhase({ studies: 3, predictions: {}, kinds: ['algorithm'] })
    await bench.user('alice', 'participant')
    const res = await bench.upload<{ id: string }>(
      bench.tokens.alice,
      'POST',
      `${phase.path}/submissions`,
      { kind: 'algorithm' },
      { model: example.modelPath, config: example.configPath },
    )
    expect(res.status, JSON.stringify(res.body)).toBe(202)
    const accepted: Accepted[] = [{ id: res.body.id, participant: 'alice' }]
    const evaluation = await bench.db.prisma.evaluation.findFirstOrThrow({ where: { submissionId: res.body.id } })

    const first = await bench.startWorker({ inference: true, concurrency: 1 })
    // Killed while its model process runs a series (an inference job active), after one series is done.
    const model = await until(
      'a model process running a series',
      async () => {
        const done = await bench.db.prisma.seriesResult.count({ where: { evaluationId: evaluation.id } })
        if (done < 1) return null
        const pids = await modelPids(first.pid)
        const active = await bench.activeJobs(QUEUE_NAMES.inference)
        return pids.length === 1 && active.length === 1 ? { pid: pids[0], job: active[0] } : null
      },
      300_000,
      20,
    )
    // Its sandbox (working directory) holds a copy of the model and of the hidden series in flight.
    const sandbox = await readlink(`/proc/${model.pid}/cwd`)
    expect(sandbox.startsWith(join(tmpdir(), 'spider-model-'))).toBe(true)
    const killedAt = Date.now()
    first.child.kill('SIGKILL')
    await first.exit
    const modelGoneAt = await until(
      `model process ${model.pid} to exit after its worker was killed`,
      async () => (isAlive(model.pid) ? null : Date.now()),
      30_000,
      10,
    )
    expect(existsSync(sandbox), 'the model process removed its sandbox (model and hidden series) when its worker died').toBe(false)
    const doneAtKill = await bench.db.prisma.seriesResult.count({ where: { evaluationId: evaluation.id } })
    expect(doneAtKill, 'the kill must come before the evaluation ends').toBeLessThan(phase.seriesNames.length)

    const second = await bench.startWorker({ inference: true, concurrency: 1 })
    const restartedAt = Date.now()
    const finalAt = await bench.waitFinal(
      accepted.map((a) => a.id),
      300_000,
    )
    const report = await checkInvariants(bench, phase, accepted, { allSucceeded: true })

    // The series that was running was taken over once (one "stalled" event for its job), no other.
    const events = await bench.redis.xrange(`bull:${queueName(QUEUE_NAMES.inference, bench.prefix)}:events`, '-', '+')
    const stalled = events
      .map(([, fields]) => Object.fromEntries(fields.flatMap((_, i) => (i % 2 === 0 ? [[fields[i], fields[i + 1]]] : []))))
      .filter((e) => e.event === 'stalled')
    expect(stalled.map((e) => e.jobId)).toEqual([model.job])
    await second.stop()

    await recordFigures('worker-kill-inference', {
      fault: 'inference worker SIGKILLed while its model process ran a hidden series (WORKER_LOCK_MS=3000)',
      series: phase.seriesNames.length,
      doneAtKill,
      modelProcessExitMs: modelGoneAt - killedAt,
      retriedJobs: stalled.length,
      allFinalAfterRestartMs: finalAt - restartedAt,
      succeeded: report.succeeded,
      sandboxLeftInTmp: existsSync(sandbox),
    })
  })
})
