import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mhaBytes } from '../testing/images.ts'
import type { PredictionTask } from './image-checks.ts'
import { ImageValidator } from './image-validator.ts'

const FIXTURE = new URL('./image-thread.fixture.ts', import.meta.url).href
const task = (path: string, file = '/nowhere', size: number[] = [12, 10, 4]): PredictionTask => ({
  kind: 'prediction',
  file,
  path,
  series: '1_t1',
  size,
  maxLabels: 1000,
})

describe('ImageValidator', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'image-validator-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it("checks real images in its threads: problems name the uploader's file, never the server path", async () => {
    const validator = new ImageValidator({ threads: 1, heapMb: 256 })
    try {
      const file = join(dir, 'x.mha')
      await writeFile(file, await mhaBytes('mask'))
      expect(await validator.run(task('preds/1_t1.mha', file))).toEqual({ problem: null })
      expect(await validator.run(task('preds/1_t1.mha', file, [12, 10, 5]))).toEqual({
        problem: 'preds/1_t1.mha: size 12x10x4 differs from the size of test series "1_t1" (12x10x5)',
      })
      expect(await validator.run({ ...task('preds/1_t1.mha', file), maxLabels: 3 })).toEqual({
        problem: 'preds/1_t1.mha: 4 distinct labels, at most 3 are accepted (SPIDER masks have fewer than 100 structures)',
      })
      await writeFile(file, 'garbage')
      const garbage = await validator.run(task('preds/1_t1.mha', file))
      expect(garbage.problem).toMatch(/^preds\/1_t1\.mha: cannot read image/)
      expect(garbage.problem).not.toContain(dir)
    } finally {
      await validator.close()
    }
  })

  it('runs at most `threads` threads, all tasks answered', async () => {
    const validator = new ImageValidator({ threads: 2, heapMb: 128, threadModule: FIXTURE })
    try {
      const results = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((p) => validator.run(task(`${p}.mha`))))
      expect(results.map((r) => r.problem?.split(' ')[0])).toEqual(['a.mha', 'b.mha', 'c.mha', 'd.mha', 'e.mha'])
      expect(new Set(results.map((r) => r.problem?.split(' ').at(-1))).size).toBe(2)
      expect(validator.threadCount).toBe(2)
    } finally {
      await validator.close()
    }
  })

  it('answers a thread stopped by its heap limit with a problem naming the file, then goes on with a fresh thread', async () => {
    const validator = new ImageValidator({ threads: 1, heapMb: 64, threadModule: FIXTURE })
    try {
      expect(await validator.run(task('oom.mha'))).toEqual({
        problem: 'oom.mha: checking this image needs more than the 64 MB of memory an image check may use',
      })
      expect((await validator.run(task('next.mha'))).problem).toMatch(/^next\.mha on thread/)
    } finally {
      await validator.close()
    }
  })

  it('rejects the task of a crashed thread, replaces it, and stops idle threads', async () => {
    const validator = new ImageValidator({ threads: 1, heapMb: 128, idleMs: 50, threadModule: FIXTURE })
    try {
      await expect(validator.run(task('crash.mha'))).rejects.toThrow('image validation thread stopped (exit code 3)')
      expect((await validator.run(task('next.mha'))).problem).toMatch(/^next\.mha on thread/)
      expect(validator.threadCount).toBe(1)
      for (let i = 0; i < 100 && validator.threadCount > 0; i++) await new Promise((r) => setTimeout(r, 20))
      expect(validator.threadCount).toBe(0)
    } finally {
      await validator.close()
    }
  })
})
