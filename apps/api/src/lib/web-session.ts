import type { FastifyReply, FastifyRequest } from 'fastify'

/** The web pages' session cookie: a signed value naming an API token's row (never the token). */
export const WEB_SESSION_COOKIE = 'spider_session'

/** Methods that change nothing; every other method is a change that needs a same-origin caller. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS'])

/** `Set-Cookie` of a new session value (HttpOnly, SameSite=Strict, whole site; Secure over https). */
export function sessionCookie(request: FastifyRequest, value: string, maxAgeSeconds: number): string {
  const secure = request.protocol === 'https' ? '; Secure' : ''
  return `${WEB_SESSION_COOKIE}=${value}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure}`
}

/** Removes the session cookie from the browser. */
export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.header('set-cookie', sessionCookie(request, '', 0))
}

/**
 * The origin the request was sent to (`http://host:port`), as the browser names it in its
 * Origin header. Behind a trusted proxy, Fastify takes protocol and host from X-Forwarded-*.
 */
export function ownOrigin(request: FastifyRequest): string | null {
  try {
    return new URL(`${request.protocol}://${request.host}`).origin
  } catch {
    return null
  }
}

/**
 * Whether a browser sent this request from one of this server's own pages: its Origin header
 * names the origin the request was sent to. Browsers send Origin with every cross-origin
 * request and with every same-origin request that is not GET or HEAD, so a change without one
 * did not come from a page of this site (CSRF protection of cookie-authenticated changes).
 */
export function fromOwnPage(request: FastifyRequest): boolean {
  const origin = request.headers.origin
  if (typeof origin !== 'string' || origin === 'null') return false
  const own = ownOrigin(request)
  return own !== null && origin.toLowerCase() === own.toLowerCase()
}
