import { openAsBlob } from 'node:fs'

/** An API error answer, with the server's code and message. */
export class ApiCallError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The server's own parts of the answer: its message, `details`, Retry-After. */
    readonly answer: {
      readonly message?: string
      readonly details?: unknown
      readonly retryAfter?: string | null
      readonly contentType?: string | null
    } = {},
  ) {
    super(message)
    this.name = 'ApiCallError'
  }
}

/** The code of an answer that is not the JSON a spider-bench server sends (wrong URL). */
export const NOT_SPIDER_BENCH = 'not_spider_bench'

/** A minimal JSON client of the spider-bench REST API (fetch; Bearer tokens). */
export class RestClient {
  constructor(readonly baseUrl: string) {}

  async call<T>(method: string, path: string, token?: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    })
    return this.answer<T>(method, path, res)
  }

  /** Multipart upload: string fields and files streamed from disk. */
  async upload<T>(method: string, path: string, token: string, fields: Record<string, string>, files: Record<string, string>): Promise<T> {
    const form = new FormData()
    for (const [name, value] of Object.entries(fields)) form.append(name, value)
    for (const [name, file] of Object.entries(files)) form.append(name, await openAsBlob(file), file.split('/').pop())
    const res = await fetch(`${this.baseUrl}${path}`, { method, headers: { authorization: `Bearer ${token}` }, body: form })
    return this.answer<T>(method, path, res)
  }

  private async answer<T>(method: string, path: string, res: Response): Promise<T> {
    const text = await res.text()
    const contentType = res.headers.get('content-type')
    let json: unknown = null
    try {
      json = text ? (JSON.parse(text) as unknown) : null
    } catch {
      throw new ApiCallError(
        res.status,
        NOT_SPIDER_BENCH,
        `${method} ${path} → ${res.status}: the answer is not JSON (${contentType ?? 'no content type'})`,
        { contentType },
      )
    }
    if (!res.ok) {
      const err = (json as { error?: { code?: string; message?: string; details?: unknown } } | null)?.error
      const details = err?.details ? `\n${JSON.stringify(err.details, null, 2)}` : ''
      const code = typeof err?.code === 'string' && typeof err.message === 'string' ? err.code : NOT_SPIDER_BENCH
      throw new ApiCallError(res.status, code, `${method} ${path} → ${res.status}: ${err?.message ?? text}${details}`, {
        message: err?.message,
        details: err?.details,
        retryAfter: res.headers.get('retry-after'),
        contentType,
      })
    }
    return json as T
  }
}
