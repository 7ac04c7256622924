/**
 * Processes of the server benchmarks (bench:load, bench:soak): `spider-bench` commands started
 * as an operator starts them (`node bin/spider-bench.js ARGS`, one OS process each, output to a
 * log file), and their memory read from /proc/PID/status (VmRSS now, VmHWM the peak) while
 * they run.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { openSync, closeSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'

export const SPIDER_BIN = resolve('bin/spider-bench.js')
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** A `spider-bench` process whose stdout and stderr go to `log`. */
export interface BenchProcess {
  readonly name: string
  readonly pid: number
  readonly log: string
  readonly child: ChildProcess
  exited(): boolean
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit status. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

export function startSpider(name: string, args: string[], env: NodeJS.ProcessEnv, log: string): BenchProcess {
  const fd = openSync(log, 'a')
  const child = spawn(process.execPath, [SPIDER_BIN, ...args], { env, stdio: ['ignore', fd, fd] })
  closeSync(fd)
  if (child.pid === undefined) throw new Error(`${name}: could not start ${SPIDER_BIN} ${args.join(' ')}`)
  let done = false
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) =>
    child.once('exit', (code, signal) => {
      done = true
      ok({ code, signal })
    }),
  )
  return {
    name,
    pid: child.pid,
    log,
    child,
    exited: () => done,
    async stop(graceMs = 60_000) {
      if (!done) child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      const status = await exit
      clearTimeout(timer)
      return status
    },
  }
}

/** Resident memory of a process in MiB: now (VmRSS) and its peak so far (VmHWM); null once it is gone. */
export async function memoryOf(pid: number): Promise<{ rssMb: number; peakMb: number } | null> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => null)
  if (text === null) return null
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN)
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 }
}

/**
 * Resets the peak (VmHWM) of a process to its RSS now (`5` to /proc/PID/clear_refs; the
 * process's owner or root), so that a later peak covers only what follows; false when refused.
 */
export async function resetPeak(pid: number): Promise<boolean> {
  return writeFile(`/proc/${pid}/clear_refs`, '5').then(
    () => true,
    () => false,
  )
}

export interface RssSample {
  /** ms since the sampler started */
  readonly t: number
  readonly name: string
  readonly rssMb: number
  readonly peakMb: number
}

/**
 * Samples the memory of named processes every `everyMs` (and once more on `stop`): every sample,
 * and per name the highest VmHWM seen (the process's own peak, between samples included).
 */
export class RssSampler {
  readonly samples: RssSample[] = []
  /** performance.now() at the start: samples' `t` count from here. */
  readonly started = performance.now()
  private timer: NodeJS.Timeout | null = null
  private running: Promise<void> = Promise.resolve()

  constructor(
    private readonly processes: () => ReadonlyArray<{ name: string; pid: number }>,
    everyMs: number,
  ) {
    this.timer = setInterval(() => void (this.running = this.sample()), everyMs)
    this.running = this.sample()
  }

  private async sample(): Promise<void> {
    const t = performance.now() - this.started
    for (const p of this.processes()) {
      const m = await memoryOf(p.pid)
      if (m) this.samples.push({ t, name: p.name, ...m })
    }
  }

  /** Stops sampling after one last sample (once; later calls do nothing). */
  async stop(): Promise<void> {
    if (this.timer === null) return
    clearInterval(this.timer)
    this.timer = null
    await this.running
    await this.sample()
  }

  /** Highest VmHWM of the processes whose name passes `match`, in MiB (0 when none was sampled). */
  peakMb(match: (name: string) => boolean): number {
    return this.samples.filter((s) => match(s.name)).reduce((max, s) => Math.max(max, s.peakMb), 0)
  }
}

/** The value at percentile `p` (0-100) of ascending `sorted` (nearest rank); NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
}
