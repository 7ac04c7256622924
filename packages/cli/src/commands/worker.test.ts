import { describe, it, expect, vi, afterEach } from 'vitest'
import { main } from '../main.ts'

afterEach(() => vi.restoreAllMocks())

describe('spider-bench worker (arguments)', () => {
  it('prints its help', async () => {
    const out = vi.spyOn(console, 'log').mockImplementation(() => undefined)
    expect(await main(['worker', '--help'])).toBe(0)
    expect(String(out.mock.calls[0][0])).toMatch(/^usage: spider-bench worker \[--concurrency N\] \[--inference\]/)
  })

  it('refuses a bad --concurrency or an unknown option with exit code 1, naming the value', async () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    expect(await main(['worker', '--concurrency', '0'])).toBe(1)
    expect(err.mock.calls[0][0]).toBe('spider-bench worker: --concurrency expects a positive integer, got "0"')
    expect(await main(['worker', '--concurrency', 'many'])).toBe(1)
    expect(err.mock.calls[1][0]).toBe('spider-bench worker: --concurrency expects a positive integer, got "many"')
    expect(await main(['worker', '--threads', '2'])).toBe(1)
    expect(String(err.mock.calls[2][0])).toMatch(/^spider-bench worker: Unknown option '--threads'/)
  })
})
