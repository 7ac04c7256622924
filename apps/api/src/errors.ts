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
export const unauthorized = (message = 'authentication required: send "Authorization: Bearer <token>"') => new ApiError(401, 'unauthorized', message)
export const forbidden = (message: string, details?: unknown) => new ApiError(403, 'forbidden', message, details)
export const notFound = (message: string) => new ApiError(404, 'not_found', message)
export const conflict = (message: string, details?: unknown) => new ApiError(409, 'conflict', message, details)
export const payloadTooLarge = (message: string) => new ApiError(413, 'payload_too_large', message)
export const unprocessable = (message: string, details?: unknown) => new ApiError(422, 'invalid_input', message, details)
export const tooManyRequests = (message: string, retryAfterSeconds: number, details?: unknown) =>
  new ApiError(429, 'too_many_requests', message, details, { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) })
