import { describe, expect, it } from 'vitest'
import { runLanes } from './thread-pool.ts'

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('runLanes', () => {
  it('runs at most one task per lane, pulling from one queue; results in task order', async () => {
    let running = 0
    let most = 0
    const lane = async (n: number) => {
      running++
      most = Math.max(most, running)
      await tick(n)
      running--
      return n * 10
    }
    const seen: number[] = []
    expect(await runLanes([30, 5, 5, 20, 1], [lane, lane], (r) => seen.push(r))).toEqual([300, 50, 50, 200, 10])
    expect(most).toBe(2)
    expect(seen.sort((a, b) => a - b)).toEqual([10, 50, 50, 200, 300])
  })

  it('rejects with the first failure and starts no further task', async () => {
    const started: number[] = []
    const lane = async (n: number) => {
      started.push(n)
      await tick(1)
      if (n === 2) throw new Error('task 2 failed')
      return n
    }
    await expect(runLanes([1, 2, 3, 4, 5], [lane], () => undefined)).rejects.toThrow('task 2 failed')
    expect(started).toEqual([1, 2])
  })
})
