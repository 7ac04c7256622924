/**
 * A failure the participant commands explain and end with: printed as is (one or more lines),
 * then the process exits with `exitCode` (1: usage, connection or refused request; 2: the
 * evaluation failed).
 */
export class ParticipantError extends Error {
  override name = 'ParticipantError'
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message)
  }
}

/** A network failure (no HTTP answer): refused, reset, unknown host, timeout. */
export class ConnectionError extends ParticipantError {
  override name = 'ConnectionError'
  constructor(
    message: string,
    /** The system error code (ECONNREFUSED, ECONNRESET, ...), when there is one. */
    readonly code: string | undefined,
  ) {
    super(message)
  }
}

const CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed by the server',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'name resolution failed',
  ETIMEDOUT: 'timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection lost',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  CERT_HAS_EXPIRED: 'the server certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server certificate is self-signed',
}

/** The system error code behind a failed fetch or http request (fetch wraps it in `cause`). */
export function systemErrorCode(err: unknown): string | undefined {
  let e = err as { code?: unknown; cause?: unknown } | undefined
  for (let i = 0; e && i < 4; i++) {
    if (typeof e.code === 'string') return e.code
    e = e.cause as typeof e
  }
  return undefined
}

/** "connection refused (ECONNREFUSED)" and the like, for any network error. */
export function describeNetworkError(err: unknown): string {
  const code = systemErrorCode(err)
  if (code) return CODES[code] ? `${CODES[code]} (${code})` : code
  const cause = (err as { cause?: { message?: string } }).cause?.message
  return cause || (err as Error).message || 'network error'
}

/** True for errors of fetch or node:http that carry no HTTP answer. */
export function isNetworkError(err: unknown): boolean {
  if (err instanceof ParticipantError) return err instanceof ConnectionError
  return (
    err instanceof TypeError ||
    systemErrorCode(err) !== undefined ||
    (err as Error)?.name === 'AbortError' ||
    (err as Error)?.name === 'TimeoutError'
  )
}
