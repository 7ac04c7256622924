import { describe, it, expect, afterAll } from 'vitest'
import Fastify from 'fastify'
import errorHandler from './error-handler.ts'
import { ApiError } from '../../errors.ts'

const app = Fastify({ logger: false })
await app.register(errorHandler)
app.get('/boom', async () => {
  throw new Error('secret detail at /srv/data/testsets/x.mha')
})
app.get('/api-error', async () => {
  throw new ApiError(429, 'too_many_requests', 'slow down', { nextAllowedAt: 'later' }, { 'retry-after': '5' })
})
app.post('/validated', { schema: { body: { type: 'object', required: ['slug'], properties: { slug: { type: 'string' } } } } }, async () => 'ok')
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

  it('turns schema validation failures into 400 with the offending field', async () => {
    const res = await app.inject({ method: 'POST', url: '/validated', payload: {} })
    expect(res.statusCode).toBe(400)
    const body = res.json() as { error: { code: string; message: string } }
    expect(body.error.code).toBe('bad_request')
    expect(body.error.message).toContain("must have required property 'slug'")
  })

  it('answers unknown routes and malformed JSON in the same shape', async () => {
    expect((await app.inject({ method: 'GET', url: '/nope?x=1' })).json()).toEqual({ error: { code: 'not_found', message: 'no route GET /nope' } })
    const bad = await app.inject({ method: 'POST', url: '/validated', headers: { 'content-type': 'application/json' }, payload: '{"slug":' })
    expect(bad.statusCode).toBe(400)
    expect((bad.json() as { error: { code: string } }).error.code).toBe('bad_request')
  })
})
