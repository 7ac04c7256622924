import { describe, expect, it } from 'vitest'
import { settleEach } from './settle-all.ts'

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('settleEach', () => {
  it('keeps the order of the items and at most `limit` calls running', async () => {
    let running = 0
    let most = 0
    const out = await settleEach([5, 1, 4, 2, 3, 0], 2, async (n) => {
      running++
      most = Math.max(most, running)
      await tick(n * 3)
      running--
      return n * 10
    })
    expect(out).toEqual([50, 10, 40, 20, 30, 0])
    expect(most).toBe(2)
  })

  it('starts nothing after a failure and throws it once the running calls settled', async () => {
    const started: number[] = []
    const finished: number[] = []
    const err = await settleEach([1, 2, 3, 4, 5], 2, async (n) => {
      started.push(n)
      if (n === 1) throw new Error('first fails')
      await tick(20)
      finished.push(n)
      return n
    }).catch((e: unknown) => e)
    expect((err as Error).message).toBe('first fails')
    expect(started).toEqual([1, 2])
    expect(finished).toEqual([2])
  })
})
