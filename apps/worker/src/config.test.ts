import { describe, it, expect } from 'vitest'
import { availableParallelism } from 'node:os'
import { loadWorkerConfig } from './config.ts'

describe('loadWorkerConfig', () => {
  it('defaults to one scoring slot per core and a one-minute reconciler', () => {
    expect(loadWorkerConfig({})).toEqual({
      concurrency: availableParallelism(),
      lockDurationMs: 30_000,
      reconcileIntervalMs: 60_000,
      reconcileGraceMs: 30_000,
      reconcileReconnectGraceMs: 2_000,
      watchdogGraceMs: 300_000,
      watchdogSeriesMs: 120_000,
      inferenceTimeLimitMs: 600_000,
      scoringThreadMemoryMb: 256,
      maxPredictionLabels: 1000,
    })
  })

  it('reads the environment, then overrides', () => {
    const c = loadWorkerConfig(
      {
        WORKER_CONCURRENCY: '3',
        WORKER_LOCK_MS: '5000',
        RECONCILE_GRACE_MS: '0',
        RECONCILE_RECONNECT_GRACE_MS: '500',
        WATCHDOG_GRACE_MS: '0',
        WATCHDOG_SERIES_MS: '50',
        INFERENCE_TIME_LIMIT_MS: '2000',
        SCORING_THREAD_MEMORY_MB: '512',
        MAX_PREDICTION_LABELS: '65535',
      },
      { reconcileIntervalMs: 200, concurrency: undefined },
    )
    expect(c).toEqual({
      concurrency: 3,
      lockDurationMs: 5000,
      reconcileIntervalMs: 200,
      reconcileGraceMs: 0,
      reconcileReconnectGraceMs: 500,
      watchdogGraceMs: 0,
      watchdogSeriesMs: 50,
      inferenceTimeLimitMs: 2000,
      scoringThreadMemoryMb: 512,
      maxPredictionLabels: 65_535,
    })
  })

  it('names the variable and value on bad input', () => {
    expect(() => loadWorkerConfig({ WORKER_CONCURRENCY: '0' })).toThrow('WORKER_CONCURRENCY must be a whole number >= 1, got "0"')
    expect(() => loadWorkerConfig({ WORKER_LOCK_MS: '2s' })).toThrow('WORKER_LOCK_MS must be a whole number >= 1000, got "2s"')
    expect(() => loadWorkerConfig({ MAX_PREDICTION_LABELS: '70000' })).toThrow(
      'MAX_PREDICTION_LABELS must be a whole number >= 1 and <= 65535, got "70000"',
    )
    expect(() => loadWorkerConfig({ SCORING_THREAD_MEMORY_MB: '16' })).toThrow(
      'SCORING_THREAD_MEMORY_MB must be a whole number >= 64, got "16"',
    )
    expect(() => loadWorkerConfig({ WATCHDOG_SERIES_MS: '0' })).toThrow('WATCHDOG_SERIES_MS must be a whole number >= 1, got "0"')
  })
})
