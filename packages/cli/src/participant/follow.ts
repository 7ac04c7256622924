import type { ParticipantClient } from './client.ts'
import { TERMINAL_STATUSES, type ProgressEvent, type SubmissionDocument } from './documents.ts'
import { isNetworkError } from './errors.ts'

export interface FollowOptions {
  /** Every new state: from the event stream, or from polling when streams are unavailable. */
  readonly onUpdate: (state: ProgressEvent) => void
  /** Told once when the command falls back to polling, with the reason. */
  readonly onFallback?: (reason: string) => void
  /** Polling interval without a stream (default 2 s). */
  readonly pollMs?: number
  /** A stream silent this long is reconnected (the server sends a comment every 15 s; default 45 s). */
  readonly idleMs?: number
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
/** Consecutive stream failures before polling instead. */
const MAX_STREAM_FAILURES = 3

/** One `event:`/`data:` block of a text/event-stream. */
function parseBlock(block: string): { event: string; data: unknown } | null {
  let event = 'message'
  const data: string[] = []
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
    if (field === 'event') event = value
    else if (field === 'data') data.push(value)
  }
  if (data.length === 0) return null
  try {
    return { event, data: JSON.parse(data.join('\n')) }
  } catch {
    return null
  }
}

/** Reads events until `end` (true) or until the stream closes, fails or stays silent (false). */
async function readStream(res: Response, idleMs: number, abort: AbortController, onEvent: (e: ProgressEvent) => void): Promise<boolean> {
  if (!res.body) return false
  const reader = res.body.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  let idle = setTimeout(() => abort.abort(), idleMs)
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return false
      clearTimeout(idle)
      idle = setTimeout(() => abort.abort(), idleMs)
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n')
      let cut
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const parsed = parseBlock(buffer.slice(0, cut))
        buffer = buffer.slice(cut + 2)
        if (!parsed) continue
        if (parsed.event === 'progress' || parsed.event === 'end') onEvent(parsed.data as ProgressEvent)
        if (parsed.event === 'end') return true
        if (parsed.event === 'error') return false
      }
    }
  } finally {
    clearTimeout(idle)
    abort.abort()
  }
}

/**
 * Follows a submission until it ends: server-sent events (reconnecting after a lost stream),
 * or polling GET /submissions/:id when streams keep failing or the server refuses one (429,
 * too many open streams). Resolves to the final submission document.
 */
export async function followSubmission(client: ParticipantClient, id: string, options: FollowOptions): Promise<SubmissionDocument> {
  const pollMs = options.pollMs ?? 2000
  const idleMs = options.idleMs ?? 45_000
  let failures = 0
  let fallback: string | null = null
  while (fallback === null) {
    const abort = new AbortController()
    try {
      const res = await client.events(id, abort.signal)
      if (res.status === 429 || res.status === 503) {
        await res.body?.cancel()
        fallback = `the server refused an event stream (HTTP ${res.status}: too many open streams)`
        break
      }
      if (!res.ok) {
        await res.body?.cancel()
        // The same request as JSON: it throws the server's explained refusal (401, 403, 404).
        await client.submission(id)
        fallback = `the event stream answered HTTP ${res.status}`
        break
      }
      const heard = { events: 0 }
      const ended = await readStream(res, idleMs, abort, (state) => {
        heard.events++
        options.onUpdate(state)
      })
      if (ended) return client.submission(id)
      // A stream that delivered events before it dropped starts the count again.
      failures = heard.events > 0 ? 1 : failures + 1
    } catch (err) {
      if (!isNetworkError(err) && !abort.signal.aborted) throw err
      failures++
    }
    if (failures >= MAX_STREAM_FAILURES) fallback = `the event stream failed ${failures} times`
    else await sleep(500 * failures)
  }
  options.onFallback?.(fallback)
  let networkFailures = 0
  for (;;) {
    let doc: SubmissionDocument
    try {
      doc = await client.submission(id)
      networkFailures = 0
    } catch (err) {
      if (!isNetworkError(err) || ++networkFailures >= MAX_STREAM_FAILURES) throw err
      await sleep(pollMs)
      continue
    }
    options.onUpdate({ ...doc, submissionId: doc.id })
    if (TERMINAL_STATUSES.includes(doc.status)) return doc
    await sleep(pollMs)
  }
}
