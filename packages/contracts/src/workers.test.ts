import { describe, expect, it } from 'vitest'
import { parseWorkerName, workerName } from './workers.ts'

describe('worker names', () => {
  it('round-trips through the Redis client name BullMQ gives a named worker', () => {
    const name = workerName({ role: 'inference', host: 'gpu 1/a', pid: 42, concurrency: 1 })
    expect(name).toBe('inference/gpu_1_a/42/1')
    expect(parseWorkerName(`bull:${Buffer.from('x-spider-inference').toString('base64')}:w:${name}`)).toEqual({
      role: 'inference',
      host: 'gpu_1_a',
      pid: 42,
      concurrency: 1,
    })
  })

  it('ignores workers not named by spider-bench', () => {
    expect(parseWorkerName(undefined)).toBeNull()
    expect(parseWorkerName('bull:abc:w:my-worker')).toBeNull()
    expect(parseWorkerName('bull:abc:w:admin/h/1/2')).toBeNull()
    expect(parseWorkerName('bull:abc:w:scoring/h/1/0')).toBeNull()
  })
})
