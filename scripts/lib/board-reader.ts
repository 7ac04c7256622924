/**
 * The public side of the load benchmarks, in its own process (forked by bench-stack.ts's
 * startBoardReader, so that its event loop is not the participants'): reads at a fixed rate,
 * open loop (each request leaves on schedule whether or not earlier ones have returned), the
 * status of each submission it is told about once every STATUS_EVERY_MS until it is final (as
 * a participant's client polls it; the CLI's fallback polls every 2 s) and a phase's
 * leaderboard with every other request. Reports over IPC when a submission first appears on
 * the leaderboard and when its status changes; on "stop", the latencies and every answer that
 * was not 2xx.
 *
 * Run as `node bin/run-ts.js scripts/lib/board-reader.ts URL BOARD_PATH RATE STATUS_EVERY_MS`
 * with an IPC channel.
 */
import { Agent, request } from 'node:http'
import { isTerminal } from '@spider-bench/evaluation/status'
import { percentile } from './processes.ts'

export type ReaderCommand = { type: 'watch'; id: string; token: string } | { type: 'start' } | { type: 'stop' }

export interface LatencySummary {
  readonly requests: number
  readonly p50Ms: number
  readonly p90Ms: number
  readonly p99Ms: number
  readonly maxMs: number
}

export interface ReaderStats {
  readonly targetRate: number
  readonly achievedRate: number
  readonly seconds: number
  /** Requests that left more than 100 ms after their time (this process could not keep up). */
  readonly lateStarts: number
  readonly leaderboard: LatencySummary
  readonly status: LatencySummary
  /** "leaderboard 503", "status ECONNRESET", ...: every answer that was not 2xx, counted. */
  readonly errors: Record<string, number>
}

export type ReaderEvent =
  | { type: 'ready' }
  | { type: 'listed'; id: string; at: number }
  | { type: 'status'; id: string; status: string; at: number; error: string | null }
  | { type: 'stats'; stats: ReaderStats }

/** Milliseconds since the epoch with sub-millisecond precision (comparable across processes). */
export const epochMs = () => performance.timeOrigin + performance.now()

const [url, boardPath, rateArg, everyArg] = process.argv.slice(2)
const RATE = Number(rateArg)
const STATUS_EVERY_MS = Number(everyArg)
if (!url || !boardPath || !(RATE > 0) || !(STATUS_EVERY_MS > 0) || !process.send) {
  console.error('usage (with an IPC channel): node bin/run-ts.js scripts/lib/board-reader.ts URL BOARD_PATH RATE STATUS_EVERY_MS')
  process.exit(1)
}
const send = (event: ReaderEvent) => process.send?.(event)

// One connection pool per kind, unbounded: a slow answer of one kind never holds up a read of
// the other in this process (public readers do not share connections).
const agents = { leaderboard: new Agent({ keepAlive: true }), status: new Agent({ keepAlive: true }) }
type Watched = { token: string; status: string; lastRead: number }
const watched = new Map<string, Watched>()
const listed = new Set<string>()
const latencies = { leaderboard: [] as number[], status: [] as number[] }
const errors: Record<string, number> = {}
let running = false
let loading: Promise<void> | null = null

function get(kind: keyof typeof agents, path: string, token: string | null): Promise<{ status: number; body: string; ms: number }> {
  return new Promise((ok, fail) => {
    const start = performance.now()
    const req = request(`${url}${path}`, { agent: agents[kind], headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (body += d))
      res.on('end', () => ok({ status: res.statusCode ?? 0, body, ms: performance.now() - start }))
      res.on('error', fail)
    })
    req.on('error', fail)
    req.end()
  })
}

function failed(kind: string, what: string | number) {
  const key = `${kind} ${what}`
  errors[key] = (errors[key] ?? 0) + 1
}

async function readBoard(): Promise<void> {
  const r = await get('leaderboard', boardPath, null)
  if (r.status < 200 || r.status >= 300) return failed('leaderboard', r.status)
  latencies.leaderboard.push(r.ms)
  const at = epochMs()
  for (const row of (JSON.parse(r.body) as { rows: Array<{ submissionId: string }> }).rows) {
    if (listed.has(row.submissionId)) continue
    listed.add(row.submissionId)
    send({ type: 'listed', id: row.submissionId, at })
  }
}

async function readStatus(id: string, entry: Watched): Promise<void> {
  const r = await get('status', `/api/v1/submissions/${id}`, entry.token)
  if (r.status < 200 || r.status >= 300) return failed('status', r.status)
  latencies.status.push(r.ms)
  const body = JSON.parse(r.body) as { status: string; error?: string | null }
  if (body.status === entry.status || isTerminal(entry.status)) return
  entry.status = body.status
  send({ type: 'status', id, status: body.status, at: epochMs(), error: body.error ?? null })
}

/** The watched submission not final whose status read is most overdue, or null when none is due. */
function dueWatched(now: number): [string, Watched] | null {
  let due: [string, Watched] | null = null
  for (const entry of watched) {
    const e = entry[1]
    if (isTerminal(e.status) || now - e.lastRead < STATUS_EVERY_MS) continue
    if (!due || e.lastRead < due[1].lastRead) due = entry
  }
  if (due) due[1].lastRead = now
  return due
}

function summary(values: number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b)
  const at = (p: number) => +percentile(sorted, p).toFixed(2)
  return { requests: sorted.length, p50Ms: at(50), p90Ms: at(90), p99Ms: at(99), maxMs: at(100) }
}

async function load(): Promise<void> {
  const start = performance.now()
  const inflight = new Set<Promise<void>>()
  let late = 0
  let i = 0
  for (; running; i++) {
    const due = start + (i * 1000) / RATE
    const wait = due - performance.now()
    if (wait > 1) await new Promise((r) => setTimeout(r, wait))
    else if (wait < -100) late++
    if (!running) break
    const target = dueWatched(performance.now())
    const kind = target ? 'status' : 'leaderboard'
    const p = (target ? readStatus(target[0], target[1]) : readBoard()).catch((err: NodeJS.ErrnoException) =>
      failed(kind, err.code ?? err.message),
    )
    inflight.add(p)
    void p.finally(() => inflight.delete(p))
  }
  await Promise.all(inflight)
  const seconds = (performance.now() - start) / 1000
  const done = latencies.leaderboard.length + latencies.status.length
  send({
    type: 'stats',
    stats: {
      targetRate: RATE,
      achievedRate: +(done / seconds).toFixed(1),
      seconds: +seconds.toFixed(1),
      lateStarts: late,
      leaderboard: summary(latencies.leaderboard),
      status: summary(latencies.status),
      errors,
    },
  })
}

process.on('message', (message: ReaderCommand) => {
  if (message.type === 'watch') watched.set(message.id, { token: message.token, status: '', lastRead: 0 })
  else if (message.type === 'start' && !loading) {
    running = true
    loading = load()
  } else if (message.type === 'stop') {
    running = false
    void (loading ?? load()).then(() => {
      agents.leaderboard.destroy()
      agents.status.destroy()
      process.disconnect?.()
    })
  }
})
send({ type: 'ready' })
