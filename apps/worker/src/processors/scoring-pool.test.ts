import { describe, it, expect } from 'vitest'
import { ScoringPool, ThreadMemoryError, ThreadTaskError } from './scoring-pool.ts'

const FIXTURE = new URL('./test-thread.fixture.ts', import.meta.url).href
const OOM_ON_LOAD = new URL('./test-thread-oom-load.fixture.ts', import.meta.url).href
const task = (name: string) => ({ name, truthPath: `/t/${name}.mha`, predPath: null, profile: 'spider' as const })

describe('ScoringPool', () => {
  it('runs TypeScript thread bodies through tsx and returns results in order of the calls', async () => {
    const pool = new ScoringPool(2, { threadModule: FIXTURE })
    try {
      const names = ['a', 'b', 'c', 'd', 'e']
      const results = await Promise.all(names.map((n) => pool.score(task(n))))
      expect(results.map((r) => r.name)).toEqual(names)
      // Both threads took work (each task busy-waits, so one thread cannot take them all).
      expect(new Set(results.map((r) => r.metrics.thread)).size).toBe(2)
    } finally {
      await pool.close()
    }
  })

  it('passes thread errors back with their name and message', async () => {
    const pool = new ScoringPool(1, { threadModule: FIXTURE })
    try {
      const err = await pool.score(task('throw')).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ThreadTaskError)
      expect((err as Error).name).toBe('ImageError')
      expect((err as Error).message).toBe('cannot read /t/throw.mha')
      expect((await pool.score(task('after'))).name).toBe('after')
    } finally {
      await pool.close()
    }
  })

  it('fails the task of a crashed thread and replaces the thread', async () => {
    const pool = new ScoringPool(1, { threadModule: FIXTURE })
    try {
      await expect(pool.score(task('crash'))).rejects.toThrow(/scoring thread stopped: exit code 3/)
      expect((await pool.score(task('next'))).name).toBe('next')
    } finally {
      await pool.close()
    }
  })

  it('fails the task of a thread stopped by its heap limit with ThreadMemoryError, then scores on a fresh thread', async () => {
    const pool = new ScoringPool(1, { threadModule: FIXTURE, memoryMb: 64 })
    try {
      await pool.warm()
      const err = await pool.score(task('oom')).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ThreadMemoryError)
      expect(err).toMatchObject({
        series: 'oom',
        limitMb: 64,
        message: "scoring thread stopped: series oom exceeded the thread's 64 MB memory limit",
      })
      expect((await pool.score(task('next'))).name).toBe('next')
    } finally {
      await pool.close()
    }
  })

  it("reports a heap limit too small to load the scorer as a setting, never as the series' fault", async () => {
    const pool = new ScoringPool(1, { threadModule: OOM_ON_LOAD, memoryMb: 32 })
    try {
      await expect(pool.warm()).rejects.toThrow('a scoring thread ran out of memory while loading the scorer: its 32 MB limit is too small')
      const err = await pool.score(task('x')).catch((e: unknown) => e)
      expect(err).not.toBeInstanceOf(ThreadMemoryError)
      expect((err as Error).message).toBe('a scoring thread ran out of memory while loading the scorer: its 32 MB limit is too small')
    } finally {
      await pool.close()
    }
  })

  it('warms every thread up front', async () => {
    const pool = new ScoringPool(2, { threadModule: FIXTURE })
    try {
      await pool.warm()
      const results = await Promise.all(['a', 'b'].map((n) => pool.score(task(n))))
      expect(new Set(results.map((r) => r.metrics.thread)).size).toBe(2)
    } finally {
      await pool.close()
    }
  })

  it('rejects work after close and validates its size', async () => {
    const pool = new ScoringPool(1, { threadModule: FIXTURE })
    await pool.close()
    await expect(pool.score(task('x'))).rejects.toThrow(/closed/)
    expect(() => new ScoringPool(0)).toThrow(/positive integer, got 0/)
    expect(() => new ScoringPool(1, { memoryMb: 0.5 })).toThrow('scoring thread memory must be a positive whole number of MB, got 0.5')
  })
})
