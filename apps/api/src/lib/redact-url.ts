/**
 * A request URL fit for a log line: the path only, the query string replaced, so that no
 * token or secret sent in a query (`?token=...`) is ever logged. Names go too: a client may
 * put anything there.
 */
export function redactUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined
  const q = url.indexOf('?')
  return q < 0 ? url : `${url.slice(0, q)}?[redacted]`
}

/** Fastify's request log serializer, with the URL redacted. */
export function serializeRequest(req: {
  method?: string
  url?: string
  host?: string
  ip?: string
  socket?: { remotePort?: number } | null
}) {
  return { method: req.method, url: redactUrl(req.url), host: req.host, remoteAddress: req.ip, remotePort: req.socket?.remotePort }
}
