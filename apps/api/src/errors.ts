import { DATABASE_RETRY_AFTER_SECONDS } from './lib/database-unavailable.ts'

/**
 * Errors the API answers with: `{ error: { code, message, details? } }`. `code` is stable and
 * machine-readable; `message` is for people; `details` carries lists (e.g. every bad file).
 */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** Extra response headers (e.g. Retry-After). */
    readonly headers?: Record<string, string>,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

export const badRequest = (message: string, details?: unknown) => new ApiError(400, 'bad_request', message, details)
export const unauthorized = (message = 'authentication required: send "Authorization: Bearer <token>"') =>
  new ApiError(401, 'unauthorized', message)
export const forbidden = (message: string, details?: unknown) => new ApiError(403, 'forbidden', message, details)
export const notFound = (message: string) => new ApiError(404, 'not_found', message)
export const conflict = (message: string, details?: unknown) => new ApiError(409, 'conflict', message, details)
export const payloadTooLarge = (message: string) => new ApiError(413, 'payload_too_large', message)
export const unprocessable = (message: string, details?: unknown) => new ApiError(422, 'invalid_input', message, details)
/** 503 with Retry-After: the database cannot be reached for the moment (restart, failover). */
export const databaseUnavailable = (retryAfterSeconds = DATABASE_RETRY_AFTER_SECONDS) =>
  new ApiError(
    503,
    'service_unavailable',
    `the server's database is unavailable for the moment (restarting?); retry in ${retryAfterSeconds} s`,
    undefined,
    { 'retry-after': String(retryAfterSeconds) },
  )
/** 507: the server's storage volume is full (ENOSPC); nothing was kept. */
export const insufficientStorage = (retryAfterSeconds = 60) =>
  new ApiError(
    507,
    'insufficient_storage',
    "the server's storage is full: nothing of this request was kept; retry later (the server's operators must free space)",
    undefined,
    { 'retry-after': String(retryAfterSeconds) },
  )
export const tooManyRequests = (message: string, retryAfterSeconds: number, details?: unknown) =>
  new ApiError(429, 'too_many_requests', message, details, { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) })
