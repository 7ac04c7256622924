import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { isTerminal } from '@spider-bench/evaluation'
import { ApiError, tooManyRequests } from '../../errors.ts'
import { submissionProgressMany, type SubmissionProgress } from '../../services/evaluations.ts'
import { NO_QUEUE_STATE } from './queue-state.ts'

const POLL_MS = 500
const HEARTBEAT_MS = 15_000
/** Submissions read per query. */
const BATCH = 200
/** Consecutive failed polls after which the streams are ended with an `error` event. */
const MAX_FAILURES = 5

/** Where a stream's server-sent events go: the hijacked response. */
export interface EventSink {
  write(chunk: string): void
  end(): void
}

export interface EventStreamStats {
  /** Open streams. */
  readonly streams: number
  /** Submissions watched (one poll slot each, whatever the number of streams). */
  readonly submissions: number
  /** Poll rounds since start. */
  readonly ticks: number
  /** Database reads made by the poller since start (one per round and batch of submissions). */
  readonly queries: number
}

export interface EventStreams {
  /**
   * Registers a stream of `submissionId`'s progress for `userId` (429 over the caps). Events
   * reach the sink asynchronously, never during this call, so the caller writes its response
   * head first. Returns the function that closes the stream (idempotent).
   */
  open(userId: string, submissionId: string, sink: EventSink): () => void
  stats(): EventStreamStats
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Submission event streams: one shared poller for all of them, capped per user and in all. */
    eventStreams: EventStreams
  }
}

interface Stream {
  readonly userId: string
  readonly submissionId: string
  readonly sink: EventSink
  /** The last state text sent to this stream. */
  sent: string
  lastWrite: number
  closed: boolean
}

interface Watched {
  readonly streams: Set<Stream>
  state: SubmissionProgress | null
  text: string
}

const isFinished = (s: SubmissionProgress) => isTerminal(s.status) && (s.evaluationStatus === null || isTerminal(s.evaluationStatus))
const event = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`

/**
 * Server-sent events of submissions' status and progress. The database is polled (the worker
 * may run on another machine), but by one loop for the whole process: every 500 ms it reads
 * the state of all watched submissions in one query (per 200) and fans each change out to
 * every stream of that submission; a thousand streams on one submission cost one read per
 * round, not a thousand. Streams are capped per user (MAX_EVENT_STREAMS_PER_USER) and in all
 * (MAX_EVENT_STREAMS), per API process.
 */
export default fp(
  async function eventStreams(app: FastifyInstance) {
    const { maxEventStreamsPerUser, maxEventStreams } = app.config
    const watched = new Map<string, Watched>()
    const perUser = new Map<string, number>()
    let streams = 0
    let ticks = 0
    let queries = 0
    let failures = 0
    let timer: NodeJS.Timeout | null = null
    let polling = false
    let closing = false

    const write = (stream: Stream, chunk: string) => {
      if (stream.closed) return
      stream.lastWrite = Date.now()
      stream.sink.write(chunk)
    }

    function close(stream: Stream): void {
      if (stream.closed) return
      stream.closed = true
      streams--
      const n = (perUser.get(stream.userId) ?? 1) - 1
      if (n > 0) perUser.set(stream.userId, n)
      else perUser.delete(stream.userId)
      const w = watched.get(stream.submissionId)
      if (w) {
        w.streams.delete(stream)
        if (w.streams.size === 0) watched.delete(stream.submissionId)
      }
      stream.sink.end()
    }

    function finish(stream: Stream, name: string, data: unknown): void {
      write(stream, event(name, data))
      close(stream)
    }

    function deliver(submissionId: string, state: SubmissionProgress | null): void {
      const w = watched.get(submissionId)
      if (!w) return
      if (!state) {
        for (const s of [...w.streams]) finish(s, 'end', { submissionId, status: 'deleted' })
        return
      }
      w.state = state
      w.text = JSON.stringify(state)
      for (const s of [...w.streams]) {
        if (s.sent !== w.text) {
          s.sent = w.text
          write(s, event('progress', state))
        }
        if (isFinished(state)) finish(s, 'end', state)
      }
    }

    async function tick(): Promise<void> {
      timer = null
      polling = true
      ticks++
      try {
        const ids = [...watched.keys()]
        for (let i = 0; i < ids.length; i += BATCH) {
          const batch = ids.slice(i, i + BATCH)
          queries++
          const states = await submissionProgressMany(app.db, batch)
          // Queue position, estimated start and waiting reason (one shared snapshot of the queues).
          for (const [id, state] of states)
            states.set(id, { ...state, ...(await app.queueState.ofSubmission(id).catch(() => NO_QUEUE_STATE)) })
          for (const id of batch) deliver(id, states.get(id) ?? null)
        }
        failures = 0
      } catch (err) {
        failures++
        app.log.warn({ err, failures }, 'submission event streams: polling the database failed')
        if (failures >= MAX_FAILURES) {
          for (const w of [...watched.values()])
            for (const s of [...w.streams]) finish(s, 'error', { message: 'the status stream failed; reconnect to resume' })
          failures = 0
        }
      } finally {
        polling = false
      }
      const now = Date.now()
      for (const w of watched.values()) for (const s of w.streams) if (now - s.lastWrite >= HEARTBEAT_MS) write(s, ': keep-alive\n\n')
      schedule(POLL_MS)
    }

    function schedule(delay: number): void {
      if (timer || polling || closing || watched.size === 0) return
      timer = setTimeout(() => void tick(), delay)
    }

    function open(userId: string, submissionId: string, sink: EventSink): () => void {
      if (closing) throw new ApiError(503, 'unavailable', 'the server is shutting down; reconnect shortly')
      if (streams >= maxEventStreams) {
        throw tooManyRequests(
          `the server has ${maxEventStreams} event streams open (MAX_EVENT_STREAMS); ` +
            `retry later or poll GET /api/v1/submissions/${submissionId}`,
          10,
        )
      }
      const mine = perUser.get(userId) ?? 0
      if (mine >= maxEventStreamsPerUser) {
        throw tooManyRequests(
          `you have ${mine} event streams open, the most allowed (MAX_EVENT_STREAMS_PER_USER=${maxEventStreamsPerUser}); ` +
            'close one before opening another',
          5,
        )
      }
      const stream: Stream = { userId, submissionId, sink, sent: '', lastWrite: Date.now(), closed: false }
      streams++
      perUser.set(userId, mine + 1)
      let w = watched.get(submissionId)
      if (!w) {
        w = { streams: new Set(), state: null, text: '' }
        watched.set(submissionId, w)
      }
      w.streams.add(stream)
      const known = w
      // A stream joining a watched submission gets its last known state at once; a new one is read on the next round.
      if (known.state) {
        setImmediate(() => {
          if (stream.closed || !known.state) return
          stream.sent = known.text
          write(stream, event('progress', known.state))
        })
      }
      schedule(0)
      return () => close(stream)
    }

    app.decorate('eventStreams', {
      open,
      stats: () => ({ streams, submissions: watched.size, ticks, queries }),
    } satisfies EventStreams)

    // Before the server waits for its connections to end: end the streams.
    app.addHook('preClose', async () => {
      closing = true
      if (timer) clearTimeout(timer)
      timer = null
      for (const w of [...watched.values()]) for (const s of [...w.streams]) close(s)
    })
  },
  { name: 'event-streams', dependencies: ['config', 'queue-state'] },
)
