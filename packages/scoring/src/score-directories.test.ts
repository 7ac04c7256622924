import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { scoreDirectories } from './score-directories.ts'

const dir = fileURLToPath(new URL('../test/fixtures/spider-vectors/', import.meta.url))

describe('scoreDirectories', () => {
  it('gives the same document on worker threads as in one thread, and reports progress', async () => {
    const progress: Array<[number, number, string]> = []
    const one = await scoreDirectories({
      truthDir: `${dir}truth`,
      predDir: `${dir}pred`,
      threads: 1,
      onProgress: (...p) => void progress.push(p),
    })
    const two = await scoreDirectories({ truthDir: `${dir}truth`, predDir: `${dir}pred`, threads: 2, profile: 'spider' })
    expect(two.document).toEqual(one.document)
    expect(one.exitCode).toBe(0)
    expect(one.document.series.map((s) => s.name)).toEqual(['p1_t1', 'p1_t2', 'p2_t2_SPACE', 'p3_t1', 'p4_t2', 'p5_t2'])
    expect(progress.map(([done, total]) => [done, total])).toEqual([1, 2, 3, 4, 5, 6].map((d) => [d, 6]))
    expect(new Set(progress.map(([, , name]) => name)).size).toBe(6)
  })

  it('rejects a thread count that is not a positive integer', async () => {
    await expect(scoreDirectories({ truthDir: `${dir}truth`, predDir: `${dir}pred`, threads: 0 })).rejects.toThrow(
      /threads must be a positive integer, got 0/,
    )
  })
})
