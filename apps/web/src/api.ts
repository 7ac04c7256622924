/**
 * The REST API under /api/v1, as the pages use it: same-origin requests, so the session
 * cookie (HttpOnly: the page never sees it) authenticates them. Errors keep the API's
 * `{ error: { code, message, details } }` so that every problem it names can be shown.
 */

export interface ApiErrorBody {
  readonly code: string
  readonly message: string
  readonly details?: unknown
}

export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
  ) {
    super(body.message)
  }

  /** Every problem the API listed (`details.problems`), else its message alone. */
  get problems(): string[] {
    const d = this.body.details as { problems?: unknown } | undefined
    if (d && Array.isArray(d.problems) && d.problems.every((p) => typeof p === 'string')) return d.problems as string[]
    return [this.body.message]
  }

  /** Request validation failures by field path (`/slug`, `/ranking/metrics/0/key`). */
  get fieldErrors(): Array<{ path: string; message: string }> {
    const d = this.body.details
    if (Array.isArray(d))
      return d.filter((x): x is { path: string; message: string } => typeof x?.path === 'string' && typeof x?.message === 'string')
    return []
  }
}

async function problemOf(res: Response): Promise<ApiProblem> {
  let body: ApiErrorBody = { code: 'http_error', message: `${res.status} ${res.statusText}` }
  try {
    const json = (await res.json()) as { error?: ApiErrorBody }
    if (json?.error?.message) body = json.error
  } catch {
    /* not JSON: keep the status line */
  }
  return new ApiProblem(res.status, body)
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`/api/v1${path}`, {
    method,
    credentials: 'same-origin',
    headers: body !== undefined ? { 'content-type': 'application/json', accept: 'application/json' } : { accept: 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  })
  if (!res.ok) throw await problemOf(res)
  if (res.status === 204) return undefined as T
  return (await res.json()) as T
}

export const get = <T>(path: string) => api<T>('GET', path)

/**
 * A multipart upload with progress (fetch reports none for request bodies): `onProgress`
 * receives the fraction sent. Resolves with the JSON answer, rejects with ApiProblem.
 */
export function upload<T>(
  method: string,
  path: string,
  form: FormData,
  onProgress: (fraction: number) => void,
  signal?: AbortSignal,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open(method, `/api/v1${path}`)
    xhr.setRequestHeader('accept', 'application/json')
    xhr.responseType = 'text'
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total)
    }
    xhr.onload = () => {
      let json: unknown = null
      try {
        json = xhr.responseText ? JSON.parse(xhr.responseText) : null
      } catch {
        json = null
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1)
        resolve(json as T)
      } else {
        const err = (json as { error?: ApiErrorBody } | null)?.error
        reject(
          new ApiProblem(
            xhr.status,
            err?.message ? err : { code: 'http_error', message: `${xhr.status} ${xhr.statusText || 'upload failed'}` },
          ),
        )
      }
    }
    xhr.onerror = () =>
      reject(new ApiProblem(0, { code: 'network_error', message: 'the upload was interrupted (network error); try again' }))
    xhr.onabort = () => reject(new ApiProblem(0, { code: 'aborted', message: 'upload cancelled' }))
    signal?.addEventListener('abort', () => xhr.abort())
    xhr.send(form)
  })
}

// Shapes of the API documents the pages read (see apps/api/src/schemas).

export interface Me {
  id: string
  name: string
  role: 'admin' | 'organiser' | 'participant'
}

export interface Phase {
  slug: string
  title: string
  scoringProfile: string
  submissionKinds: string[]
  ranking: { method: string; metrics: Array<{ key: string; order: 'asc' | 'desc' }>; bootstrapSamples: number; significanceLevel: number }
  entries: string
  submissionLimit: { count: number; periodHours: number } | null
  opensAt: string | null
  closesAt: string | null
  perSeriesVisibility: string
  testSet: { version: number; count: number; createdAt: string; series?: Array<{ name: string; sequence: string; size: number[] }> } | null
  resources: { inferenceTimePerSeriesMs: number; memoryLimitMb: number; executionProviders: string[]; maxModelBytes: number }
  createdAt: string
  updatedAt: string
}

export interface Challenge {
  slug: string
  title: string
  description: string | null
  owner: string
  createdAt: string
  phases: Phase[]
}

export interface MetricDefinition {
  key: string
  order: 'asc' | 'desc'
  label: string
  unit: string
  description: string
}

export interface ScoringProfile {
  name: string
  metrics: MetricDefinition[]
}

export interface LeaderboardRow {
  rank: number
  participant: string
  submissionId: string
  createdAt: string
  rankScore: number | null
  uncertainty: { medianRank: number; rankInterval: [number, number]; pFirst: number } | null
  metrics: Record<string, number | null>
  withheld?: string[]
}

export interface Leaderboard {
  challenge: string
  phase: string
  method: string
  entries: string
  columns: Array<{ key: string; order: 'asc' | 'desc' }>
  metricOrder: Array<{ key: string; order: 'asc' | 'desc' }>
  computedAt: string | null
  version: number
  scorerVersion: string | null
  testSetVersion: number | null
  rows: LeaderboardRow[]
}

export interface Aggregate {
  mean: number | null
  std: number | null
  count: number
}

export interface LeaderboardAggregates {
  version: number
  sequence: string | null
  sequences: string[]
  tiedForFirst: string[]
  alpha: number | null
  columns: Array<{ key: string; order: 'asc' | 'desc' }>
  rows: Array<{
    rank: number
    participant: string
    submissionId: string
    createdAt: string
    rankScore: number | null
    metrics: Record<string, Aggregate | null>
    withheld?: string[]
  }>
}

export interface LeaderboardHistory {
  metric: string | null
  points: Array<{
    version: number
    computedAt: string
    leaders: Array<{ rank: number; participant: string; submissionId: string; value: number | null }>
  }>
}

export interface Submission {
  id: string
  challenge: string
  phase: string
  participant: string
  kind: string
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled'
  progress: { done: number; total: number }
  error?: string
  createdAt: string
  queuePosition?: number | null
  estimatedStartAt?: string | null
  waitingReason?: string | null
  notice?: string | null
  aggregates?: Record<string, { mean: number | null; std?: number | null; count: number; withheld?: string } | undefined>
}

export interface SubmissionSeries {
  submissionId: string
  evaluationId: string | null
  testSetVersion: number | null
  series: Array<{ name: string; sequence: string; status: string; error: string | null; metrics: Record<string, number | null> }>
}

export interface Quota {
  limit: { count: number; periodHours: number } | null
  used: number
  remaining: number | null
  nextAt: string | null
  activeSubmissionId: string | null
}

export interface Canary {
  submissionId: string
  kind: string
  evaluationId: string | null
  status: string | null
  error: string | null
  testSetVersion: number | null
  series: Array<{
    name: string
    sequence: string
    status: string
    error: string | null
    metrics: Record<string, number | null>
    preview: string | null
  }>
}

export interface EvaluationLog {
  id: string
  testSetVersion: number
  sanityCases: boolean
  status: string
  errorKind: string | null
  error: string | null
  progress: { done: number; total: number }
  scorerVersion: string
  createdAt: string
  startedAt: string | null
  finishedAt: string | null
  failedSeries: Array<{ name: string; error: string | null; durationMs: number | null }>
}

export interface ProgressEvent {
  submissionId: string
  status: string
  error: string | null
  evaluationId: string | null
  evaluationStatus: string | null
  progress: { done: number; total: number }
}

/** Path segments are always encoded: names come from users. */
export const seg = (s: string) => encodeURIComponent(s)
