/**
 * `npm start` on one machine, exactly as the README's single-machine story runs it: the
 * embedded database, no flags (the inference worker runs in the server), users created
 * through the REST API, and both a predictions submission and the example ONNX algorithm
 * taken to the leaderboard (test/single-machine.ts; test/production-build runs the same
 * story on the compiled build).
 */
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { cachedExampleAlgorithm } from '@spider-bench/inference/testing'
import { singleMachineStory } from './single-machine.ts'

describe('npm start (serve, embedded database, no flags)', () => {
  const dirs: string[] = []
  let example: { modelPath: string; configPath: string }
  // Trained once per source version and cached in the temp folder (minutes the first time).
  beforeAll(async () => {
    example = await cachedExampleAlgorithm()
  }, 900_000)
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
  })

  it('serves everything one machine needs: users over REST, predictions and the example algorithm reach the leaderboard', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'spider-serve-'))
    dirs.push(dataDir)
    await singleMachineStory(
      { ...process.env, DATA_DIR: dataDir, PORT: '0', SPIDER_QUEUE_PREFIX: `test-${randomUUID()}`, DATABASE_URL: '' },
      example,
    )
  }, 600_000)
})
