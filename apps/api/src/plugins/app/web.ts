import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fp from 'fastify-plugin'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance, FastifyReply } from 'fastify'

/** Where `npm run build:web` (run by `npm ci`'s postinstall) writes the pages: apps/web/dist. */
export const WEB_DIST_DIR = fileURLToPath(new URL('../../../../web/dist/', import.meta.url))

/**
 * The pages' Content-Security-Policy: scripts, styles and everything else only from this
 * server's own files (no inline script or style element, no eval), pictures also as data:
 * URLs, no framing, no plugins, forms only to this server.
 */
export const WEB_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ')

/** The paths of the single-page application; each answers with index.html, the page picks the view. */
export const PAGE_ROUTES = ['/', '/signin', '/account', '/organise', '/organise/*', '/challenges/*', '/submissions/*'] as const

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>spider-bench</title></head>
<body><main>
<h1>spider-bench</h1>
<p>The web pages are not built. Build them with <code>npm run build:web</code> (<code>npm ci</code> does it
after installing) and restart the server.</p>
<p>The REST API works: <a href="/api/v1/challenges">/api/v1/challenges</a>, documentation at <a href="/docs">/docs</a>.</p>
</main></body></html>
`

const securityHeaders = (reply: FastifyReply) =>
  reply
    .header('content-security-policy', WEB_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'same-origin')
    .header('cross-origin-opener-policy', 'same-origin')

/**
 * The web front end (apps/web), served by the API's own process: the built files under
 * /assets/ (content-hashed names, cached for a year) and index.html for every page path. The
 * pages use only the REST API under /api/v1. Without a build the API still starts, and `/`
 * says how to build the pages. `options.distDir` overrides the build folder (tests).
 */
export default fp<{ distDir?: string }>(
  async function web(app: FastifyInstance, options) {
    const dist = options.distDir ?? WEB_DIST_DIR
    const indexFile = join(dist, 'index.html')
    const built = existsSync(indexFile)
    if (!built) app.log.warn(`web pages not built (no ${indexFile}): run "npm run build:web"; the API works without them`)
    const indexHtml = built ? readFileSync(indexFile) : null
    await app.register(async (scope) => {
      scope.addHook('onSend', async (_request, reply, payload) => {
        securityHeaders(reply)
        return payload
      })
      if (built) {
        await scope.register(fastifyStatic, {
          root: join(dist, 'assets'),
          prefix: '/assets/',
          wildcard: false,
          index: false,
          immutable: true,
          maxAge: '365d',
          schemaHide: true,
        })
      }
      for (const path of PAGE_ROUTES) {
        scope.get(path, { schema: { hide: true } }, async (_request, reply) => {
          reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8')
          if (indexHtml === null) return reply.status(503).send(NOT_BUILT)
          return reply.send(indexHtml)
        })
      }
    })
  },
  { name: 'web', dependencies: ['config'] },
)
