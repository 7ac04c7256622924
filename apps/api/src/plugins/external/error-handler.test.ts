import { describe, it, expect, afterAll } from 'vitest'
import Fastify from 'fastify'
import errorHandler from './error-handler.ts'
import { ApiError } from '../../errors.ts'

// As in app.ts: every schema error reported, not only the first.
const app = Fastify({ logger: false, ajv: { customOptions: { allErrors: true } } })
await app.register(errorHandler)
app.get('/boom', async () => {
  throw new Error('secret detail at /srv/data/testsets/x.mha')
})
app.get('/api-error', async () => {
  throw new ApiError(429, 'too_many_requests', 'slow down', { nextAllowedAt: 'later' }, { 'retry-after': '5' })
})
app.post(
  '/validated',
  { schema: { body: { type: 'object', required: ['slug'], properties: { slug: { type: 'string' } } } } },
  async () => 'ok',
)
// What TypeBox writes for a union of literals, an enum and a nullable object.
app.post(
  '/choices',
  {
    schema: {
      body: {
        type: 'object',
        properties: {
          kinds: {
            type: 'array',
            items: {
              anyOf: [
                { const: 'predictions', type: 'string' },
                { const: 'algorithm', type: 'string' },
              ],
            },
          },
          role: { type: 'string', enum: ['admin', 'organiser', 'participant'] },
          limit: { anyOf: [{ type: 'object' }, { type: 'null' }] },
        },
      },
    },
  },
  async () => 'ok',
)
app.get('/database-down', async () => {
  // What Prisma with @prisma/adapter-pg throws while Postgres is stopped.
  throw Object.assign(new Error("Can't reach database server at 127.0.0.1:5432"), {
    name: 'PrismaClientKnownRequestError',
    code: 'P1001',
    meta: { driverAdapterError: { name: 'DriverAdapterError', cause: { kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 5432 } } },
  })
})
app.get('/disk-full', async () => {
  throw Object.assign(new Error('ENOSPC: no space left on device, write /srv/data/tmp/x'), { code: 'ENOSPC', errno: -28, syscall: 'write' })
})
afterAll(() => app.close())

describe('error handler', () => {
  it('answers 5xx with a generic message: no stack trace, no internal detail', async () => {
    const res = await app.inject({ method: 'GET', url: '/boom' })
    expect(res.statusCode).toBe(500)
    expect(res.json()).toEqual({ error: { code: 'internal_error', message: 'internal server error' } })
    expect(res.body).not.toContain('secret')
  })

  it('passes ApiError status, code, message, details and headers through', async () => {
    const res = await app.inject({ method: 'GET', url: '/api-error' })
    expect(res.statusCode).toBe(429)
    expect(res.headers['retry-after']).toBe('5')
    expect(res.json()).toEqual({ error: { code: 'too_many_requests', message: 'slow down', details: { nextAllowedAt: 'later' } } })
  })

  it('answers an unreachable database with 503 and Retry-After, a full disk with 507; never the internal text', async () => {
    const down = await app.inject({ method: 'GET', url: '/database-down' })
    expect(down.statusCode).toBe(503)
    expect(down.headers['retry-after']).toMatch(/^\d+$/)
    expect((down.json() as { error: { code: string } }).error.code).toBe('service_unavailable')
    expect(down.body).not.toContain('5432')
    const full = await app.inject({ method: 'GET', url: '/disk-full' })
    expect(full.statusCode).toBe(507)
    expect((full.json() as { error: { code: string } }).error.code).toBe('insufficient_storage')
    expect(full.body).not.toContain('/srv')
  })

  it('turns schema validation failures into 400 with the offending field', async () => {
    const res = await app.inject({ method: 'POST', url: '/validated', payload: {} })
    expect(res.statusCode).toBe(400)
    const body = res.json() as { error: { code: string; message: string } }
    expect(body.error.code).toBe('bad_request')
    expect(body.error.message).toContain("must have required property 'slug'")
  })

  it('names the field and its allowed values for unions of constants, enums and nullable fields', async () => {
    const res = await app.inject({ method: 'POST', url: '/choices', payload: { kinds: ['predictions', 'model'], role: 'root', limit: 5 } })
    expect(res.statusCode).toBe(400)
    expect((res.json() as { error: { message: string } }).error.message).toBe(
      'invalid request: body.kinds[1] must be one of "predictions", "algorithm"; ' +
        'body.role must be one of "admin", "organiser", "participant"; body.limit must be object or null',
    )
  })

  it('answers unknown routes and malformed JSON in the same shape', async () => {
    expect((await app.inject({ method: 'GET', url: '/nope?x=1' })).json()).toEqual({
      error: { code: 'not_found', message: 'no route GET /nope' },
    })
    const bad = await app.inject({
      method: 'POST',
      url: '/validated',
      headers: { 'content-type': 'application/json' },
      payload: '{"slug":',
    })
    expect(bad.statusCode).toBe(400)
    expect((bad.json() as { error: { code: string } }).error.code).toBe('bad_request')
  })
})
