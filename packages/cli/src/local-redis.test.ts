import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ensureRedis, pingRedis } from './local-redis.ts'

const dirs: string[] = []
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
})

describe('ensureRedis', () => {
  it('starts a private redis-server when nothing answers, and stops it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-redis-'))
    dirs.push(dir)
    // Port 1 on loopback never runs Redis.
    const redis = await ensureRedis('redis://127.0.0.1:1', dir)
    expect(redis.started).toBe(true)
    expect(redis.url).not.toBe('redis://127.0.0.1:1')
    expect(await pingRedis(redis.url)).toBe(true)
    await redis.stop()
    expect(await pingRedis(redis.url, 300)).toBe(false)
  })

  it('reuses a Redis that answers without starting one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-redis-'))
    dirs.push(dir)
    const first = await ensureRedis('redis://127.0.0.1:1', dir)
    const second = await ensureRedis(first.url, dir)
    expect(second.started).toBe(false)
    expect(second.url).toBe(first.url)
    await first.stop()
  })

  it('says how to install Redis when none answers and the binary is missing', async () => {
    await expect(ensureRedis('redis://127.0.0.1:1', tmpdir(), 'no-such-redis-server-binary')).rejects.toThrow(
      /not on the PATH: install Redis/,
    )
  })
})
