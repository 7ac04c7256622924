import { vi } from 'vitest'
import { main } from '../main.ts'

export interface CliRun {
  readonly code: number
  readonly out: string
  readonly err: string
}

/** Runs `spider-bench ARGS` in this process and captures what it prints (tests only). */
export async function runCli(args: string[]): Promise<CliRun> {
  const out: string[] = []
  const err: string[] = []
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')))
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')))
  try {
    const code = await main(args)
    return { code, out: out.join('\n'), err: err.join('\n') }
  } finally {
    log.mockRestore()
    error.mockRestore()
  }
}
