import { ApiCallError, NOT_SPIDER_BENCH, RestClient } from '../demo/rest-client.ts'
import { DirectPutError, fileDigest, putPresigned, streamsInstead, type DirectUploadDocument } from '../direct-upload.ts'
import { uploadParts, type UploadPart } from '../testset-upload.ts'
import { ConnectionError, describeNetworkError, isNetworkError, ParticipantError } from './errors.ts'
import type { LeaderboardDocument, MeDocument, PhaseDocument, QuotaDocument, SeriesDocument, SubmissionDocument } from './documents.ts'

/** Where the server and token came from, so messages can say what to fix. */
export interface ClientLogin {
  readonly url: string
  readonly token: string
  /** e.g. "SPIDER_BENCH_TOKEN", "config file", "--token". */
  readonly tokenFrom: string
}

const enc = encodeURIComponent
/**
 * How long a retried upload waits for the server to drop the lost one (409 upload_in_progress):
 * a server may notice a vanished upload only at its progress check (UPLOAD_PROGRESS_WINDOW_SECONDS,
 * default 30 s), and a slot of a crashed server expires after 60 s.
 */
const SLOT_WAIT_MS = 65_000

/** A local time with its offset and the ISO instant, e.g. "2026-11-30 14:05 (+01:00; 2026-11-30T13:05:00.000Z)". */
export function describeTime(iso: string, now = Date.now()): string {
  const at = new Date(iso)
  if (Number.isNaN(at.getTime())) return iso
  const offset = -at.getTimezoneOffset()
  const pad = (n: number) => String(n).padStart(2, '0')
  const local = `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${pad(at.getHours())}:${pad(at.getMinutes())}`
  const zone = `${offset >= 0 ? '+' : '-'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`
  const minutes = Math.ceil((at.getTime() - now) / 60_000)
  const wait = minutes <= 0 ? '' : minutes < 60 ? `, in ${minutes} min` : `, in ${Math.floor(minutes / 60)} h ${minutes % 60} min`
  return `${local} local time (UTC${zone}${wait}; ${at.toISOString()})`
}

/** The participant's client of the REST API: every failure becomes a ParticipantError saying what to do. */
export class ParticipantClient {
  private readonly rest: RestClient

  constructor(readonly login: ClientLogin) {
    this.rest = new RestClient(login.url)
  }

  /** A JSON request; `what` names the action in messages ("read submission X"). */
  async call<T>(method: string, path: string, what: string, body?: unknown): Promise<T> {
    try {
      return await this.rest.call<T>(method, path, this.login.token, body)
    } catch (err) {
      throw this.explain(err, what, `${method} ${path}`)
    }
  }

  me(): Promise<MeDocument> {
    return this.call('GET', '/api/v1/me', 'check the API token')
  }

  async phase(challenge: string, phase: string): Promise<PhaseDocument> {
    const doc = await this.call<{ phases: PhaseDocument[] }>('GET', `/api/v1/challenges/${enc(challenge)}`, `read challenge "${challenge}"`)
    const found = doc.phases.find((p) => p.slug === phase)
    if (!found)
      throw new ParticipantError(
        `challenge "${challenge}" has no phase "${phase}" (its phases: ${doc.phases.map((p) => p.slug).join(', ') || 'none'})`,
      )
    return found
  }

  challenges(): Promise<Array<{ slug: string; phases: PhaseDocument[] }>> {
    return this.call('GET', '/api/v1/challenges', 'list the challenges')
  }

  quota(challenge: string, phase: string): Promise<QuotaDocument> {
    return this.call('GET', `/api/v1/challenges/${enc(challenge)}/phases/${enc(phase)}/quota`, `read your quota in ${challenge}/${phase}`)
  }

  /** The quota, or null from a server that has no quota route yet (the submission route still enforces the limit). */
  async quotaIfServed(challenge: string, phase: string): Promise<QuotaDocument | null> {
    const path = `/api/v1/challenges/${enc(challenge)}/phases/${enc(phase)}/quota`
    try {
      return await this.rest.call<QuotaDocument>('GET', path, this.login.token)
    } catch (err) {
      if (err instanceof ApiCallError && err.status === 404 && /^no route /.test(err.answer.message ?? '')) return null
      throw this.explain(err, `read your quota in ${challenge}/${phase}`, `GET ${path}`)
    }
  }

  submission(id: string): Promise<SubmissionDocument> {
    return this.call('GET', `/api/v1/submissions/${enc(id)}`, `read submission ${id}`)
  }

  series(id: string): Promise<SeriesDocument> {
    return this.call('GET', `/api/v1/submissions/${enc(id)}/series`, `read the per-series results of submission ${id}`)
  }

  submissions(challenge: string, phase: string): Promise<SubmissionDocument[]> {
    return this.call(
      'GET',
      `/api/v1/challenges/${enc(challenge)}/phases/${enc(phase)}/submissions?mine=1`,
      `list your submissions in ${challenge}/${phase}`,
    )
  }

  leaderboard(challenge: string, phase: string, at?: string): Promise<LeaderboardDocument> {
    const query = at ? `?at=${enc(at)}` : ''
    return this.call(
      'GET',
      `/api/v1/challenges/${enc(challenge)}/phases/${enc(phase)}/leaderboard${query}`,
      `read the leaderboard of ${challenge}/${phase}`,
    )
  }

  /** The event stream of a submission (a fetch Response; the caller reads and aborts it). */
  async events(id: string, signal: AbortSignal): Promise<Response> {
    const path = `/api/v1/submissions/${enc(id)}/events`
    try {
      return await fetch(`${this.login.url}${path}`, {
        headers: { authorization: `Bearer ${this.login.token}`, accept: 'text/event-stream' },
        signal,
      })
    } catch (err) {
      throw this.explain(err, `follow submission ${id}`, `GET ${path}`)
    }
  }

  /**
   * Uploads a submission (multipart, streamed from disk with byte progress). A connection
   * lost during the upload is retried once; `onRetry` is told why.
   */
  async submit(
    challenge: string,
    phase: string,
    parts: UploadPart[],
    onProgress: (sent: number, total: number) => void,
    onRetry: (note: string) => void,
  ): Promise<{ id: string; retried: boolean }> {
    const path = `/api/v1/challenges/${enc(challenge)}/phases/${enc(phase)}/submissions`
    const what = `submit to ${challenge}/${phase}`
    const started = Date.now()
    let waitedForSlot = 0
    for (let attempt = 1; ; attempt++) {
      let result
      try {
        result = await uploadParts(`${this.login.url}${path}`, this.login.token, parts, onProgress, 'POST')
      } catch (err) {
        if (!isNetworkError(err)) throw err
        const reason = describeNetworkError(err)
        if (attempt === 1) {
          onRetry(`the connection was lost during the upload (${reason}); retrying once`)
          continue
        }
        throw new ConnectionError(
          `the connection to ${this.login.url} was lost during the upload twice (${reason}). ` +
            'Check your network and the server, then run the same command again ' +
            '(see "spider-bench submissions" first: the server may have received it).',
          undefined,
        )
      }
      const body = result.body as { id?: string; error?: { code?: string; message?: string; details?: unknown } } | string
      if (result.status === 202 && typeof body === 'object' && typeof body.id === 'string') return { id: body.id, retried: attempt > 1 }
      const error = typeof body === 'object' ? body.error : undefined
      // After a lost connection the server may not have let go of the first upload yet (one
      // upload in flight per participant and phase): its refusal comes before the body is read,
      // so asking again a little later costs nothing.
      if (attempt > 1 && result.status === 409 && error?.code === 'upload_in_progress' && waitedForSlot < SLOT_WAIT_MS) {
        if (waitedForSlot === 0)
          onRetry(`the server still holds the lost upload; waiting for it to let go (up to ${SLOT_WAIT_MS / 1000} s)`)
        const pause = Math.min(1000, SLOT_WAIT_MS - waitedForSlot)
        waitedForSlot += pause
        await new Promise((r) => setTimeout(r, pause))
        attempt--
        continue
      }
      // After a lost connection the first attempt may have arrived: then it is the active submission.
      const active = (error?.details as { submissionId?: string } | undefined)?.submissionId
      if (attempt > 1 && result.status === 409 && active) {
        const existing = await this.submission(active)
        if (new Date(existing.createdAt).getTime() >= started - 1000) return { id: active, retried: true }
      }
      const apiError =
        typeof body === 'object' && error && typeof error.code === 'string' && typeof error.message === 'string'
          ? new ApiCallError(result.status, error.code, error.message, {
              message: error.message,
              details: error.details,
              retryAfter: result.headers['retry-after'] ?? null,
            })
          : new ApiCallError(result.status, NOT_SPIDER_BENCH, `POST ${path} → ${result.status}`, {
              contentType: result.headers['content-type'] ?? null,
            })
      throw this.explain(apiError, what, `POST ${path}`)
    }
  }

  /**
   * Uploads a predictions archive straight to the server's object store (a presigned PUT), then
   * has the server validate it from there: the submission's id, or null when the server takes
   * no direct uploads (its storage is a file store, or it is older): then stream it (submit).
   */
  async submitDirect(
    challenge: string,
    phase: string,
    archive: string,
    onProgress: (sent: number, total: number) => void,
  ): Promise<{ id: string } | null> {
    const path = `/api/v1/challenges/${enc(challenge)}/phases/${enc(phase)}/submissions/uploads`
    const what = `submit to ${challenge}/${phase}`
    const { size, sha256 } = await fileDigest(archive)
    let upload: DirectUploadDocument
    try {
      upload = await this.rest.call<DirectUploadDocument>('POST', path, this.login.token, { kind: 'predictions', size, sha256 })
    } catch (err) {
      if (err instanceof ApiCallError && streamsInstead(err.status, { error: { message: err.answer.message } })) return null
      throw this.explain(err, what, `POST ${path}`)
    }
    try {
      await putPresigned(upload.upload, archive, onProgress)
    } catch (err) {
      // Given up: the server frees the upload (and the participant's upload slot) at once.
      await this.rest.call('DELETE', `/api/v1/uploads/${enc(upload.id)}`, this.login.token).catch(() => undefined)
      if (err instanceof DirectPutError) throw new ParticipantError(`cannot ${what}: ${err.message}`)
      throw this.explain(err, `upload to the server's object store (${new URL(upload.upload.url).origin})`, `PUT ${upload.upload.url}`)
    }
    try {
      return { id: (await this.rest.call<{ id: string }>('POST', upload.complete, this.login.token)).id }
    } catch (err) {
      throw this.explain(err, what, `POST ${upload.complete}`)
    }
  }

  /** Turns a failed request into a message naming the cause and the fix. */
  explain(err: unknown, what: string, request: string): ParticipantError {
    if (err instanceof ParticipantError) return err
    const url = this.login.url
    if (!(err instanceof ApiCallError)) {
      if (isNetworkError(err))
        return new ConnectionError(
          `cannot ${what}: cannot reach ${url} (${describeNetworkError(err)}). ` +
            'Check the URL and your network, and that the server is running.',
          undefined,
        )
      return new ParticipantError(`cannot ${what}: ${(err as Error).message}`)
    }
    const message = err.answer.message ?? err.message
    if (err.code === NOT_SPIDER_BENCH) {
      return new ParticipantError(
        `${url} does not look like a spider-bench server: ` +
          `${request} answered HTTP ${err.status} with ${err.answer.contentType ?? 'no content type'}, ` +
          'not the JSON a spider-bench server sends. ' +
          "Check the URL: it is the server's address, e.g. https://bench.example.org, without /api/v1.",
      )
    }
    if (err.status === 401) {
      return new ParticipantError(
        `the server at ${url} refused the API token from ${this.login.tokenFrom} (${message}): ` +
          'it is mistyped, expired or revoked. ' +
          `Ask the organisers for a new token, then run "spider-bench login --url ${url} --token NEW_TOKEN".`,
      )
    }
    if (err.status === 404 && /^no route /.test(message)) {
      return new ParticipantError(
        `${url} is a spider-bench server without the route ${request} (${message}): ` +
          "the URL may carry an extra path (give the server's address without /api/v1), " +
          'or the server is older than this command.',
      )
    }
    if (err.status === 422) {
      const problems = (err.answer.details as { problems?: unknown } | undefined)?.problems
      const lines = Array.isArray(problems) ? problems.map((p) => `  - ${String(p)}`) : []
      return new ParticipantError([`the server refused the upload: ${message}`, ...lines].join('\n'))
    }
    if (err.status === 429) {
      const next = (err.answer.details as { nextAllowedAt?: unknown } | undefined)?.nextAllowedAt
      if (typeof next === 'string')
        return new ParticipantError(
          `cannot ${what}: ${message}\nthe next submission is allowed at ${describeTime(next)}; "spider-bench quota" shows your limit`,
        )
      const wait = err.answer.retryAfter ? `; retry in ${err.answer.retryAfter} s` : ''
      return new ParticipantError(`cannot ${what}: ${message}${wait}`)
    }
    if (err.status === 409) {
      const active = (err.answer.details as { submissionId?: unknown } | undefined)?.submissionId
      const hint = typeof active === 'string' ? `\nfollow it with "spider-bench status ${active} --wait"` : ''
      return new ParticipantError(`cannot ${what}: ${message}${hint}`)
    }
    if (err.status >= 500)
      return new ParticipantError(
        `cannot ${what}: the server failed (HTTP ${err.status}: ${message}); try again later, and tell the organisers if it persists`,
      )
    return new ParticipantError(`cannot ${what}: ${message}`)
  }
}
