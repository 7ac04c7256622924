/**
 * Finding 7 (event streams): each stream polled the database every 500 ms, so 1000 streams
 * made /healthz take 3 s. Now one poller per API process reads every watched submission in
 * one query per round and fans changes out to all streams, and streams are capped per user
 * (MAX_EVENT_STREAMS_PER_USER) and in all (MAX_EVENT_STREAMS) with 429. The database reads
 * of submissions are counted by a Prisma extension on the API's own client, independently of
 * the poller.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import type { FastifyInstance } from 'fastify'
import type { PrismaClient } from '@spider-bench/db'
import { buildApp } from '../../apps/api/src/app.ts'
import { startHarness, type Harness } from '../../apps/api/src/testing/harness.ts'
import { apiClient, PHASE_BODY } from '../../apps/api/src/testing/client.ts'
import { mhaBytes } from '../../apps/api/src/testing/images.ts'

interface OpenStream {
  readonly status: number
  readonly headers: Headers
  /** The error body of a refused stream. */
  readonly error?: { code: string; message: string }
  /** Resolves with the data of the next event called `name`. */
  next(name: string): Promise<Record<string, unknown>>
  close(): void
}

async function openStream(base: string, id: string, token: string): Promise<OpenStream> {
  const controller = new AbortController()
  const res = await fetch(`${base}/api/v1/submissions/${id}/events`, {
    headers: { authorization: `Bearer ${token}` },
    signal: controller.signal,
  })
  if (res.status !== 200) {
    const body = (await res.json()) as { error: { code: string; message: string } }
    return {
      status: res.status,
      headers: res.headers,
      error: body.error,
      next: () => Promise.reject(new Error('refused')),
      close: () => undefined,
    }
  }
  const reader = (res.body as ReadableStream<Uint8Array>).getReader()
  const decoder = new TextDecoder()
  let text = ''
  return {
    status: res.status,
    headers: res.headers,
    async next(name) {
      for (;;) {
        const events = text.split('\n\n')
        text = events.pop() ?? ''
        for (const [i, e] of events.entries()) {
          const match = /^event: (\S+)\ndata: (.*)$/s.exec(e)
          if (match?.[1] === name) {
            text =
              events
                .slice(i + 1)
                .map((x) => `${x}\n\n`)
                .join('') + text
            return JSON.parse(match[2]) as Record<string, unknown>
          }
        }
        const { value, done } = await reader.read()
        if (done) throw new Error(`the stream ended before a "${name}" event`)
        text += decoder.decode(value, { stream: true })
      }
    },
    close: () => controller.abort(),
  }
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 1500; i++) {
    if (check()) return
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`timed out waiting until ${what}`)
}

describe('submission event streams share one poller and are capped (finding 7)', () => {
  const STREAMS = 40
  let h: Harness
  let app: FastifyInstance
  let base: string
  /** Reads of the Submission table by the API under test. */
  let reads = 0
  let organiser: string
  let alice: string
  let submissionId: string
  const streams: OpenStream[] = []

  beforeAll(async () => {
    h = await startHarness('postgres')
    const api = apiClient(h.url, h.dataDir)
    organiser = (await h.user('org', 'organiser')).token
    alice = (await h.user('alice', 'participant')).token
    const mask = await mhaBytes('mask')
    expect((await api.json(organiser, 'POST', '/api/v1/challenges', { slug: 'spine', title: 'Spine' })).status).toBe(201)
    expect((await api.json(organiser, 'POST', '/api/v1/challenges/spine/phases', PHASE_BODY)).status).toBe(201)
    const set = await api.archive([
      { name: 'images/1_t1.mha', data: await mhaBytes('image') },
      { name: 'masks/1_t1.mha', data: mask },
    ])
    expect((await api.multipart(organiser, 'PUT', '/api/v1/challenges/spine/phases/final/test-set', { archive: set })).status).toBe(200)
    const res = await api.multipart(alice, 'POST', '/api/v1/challenges/spine/phases/final/submissions', {
      kind: 'predictions',
      predictions: await api.archive([{ name: '1_t1.mha', data: mask }]),
    })
    expect(res.status).toBe(202)
    submissionId = ((await res.json()) as { id: string }).id
    // The API under test: the same database through a client that counts every operation.
    const counted = h.db.prisma.$extends({
      query: {
        $allOperations({ args, query, model }) {
          // Submission reads only: the app may read other tables on timers of its own.
          if (model === 'Submission') reads++
          return query(args)
        },
      },
    }) as unknown as PrismaClient
    app = await buildApp({
      config: { ...h.config, maxEventStreamsPerUser: STREAMS, maxEventStreams: STREAMS + 5 },
      prisma: counted,
      storage: h.storage,
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
  })
  afterAll(async () => {
    for (const s of streams) s.close()
    await app?.close()
    await h?.close()
  })

  it(`${STREAMS} streams on one submission cost one database read per poll round, not one per stream`, async () => {
    for (let i = 0; i < STREAMS; i++) streams.push(await openStream(base, submissionId, alice))
    expect(streams.map((s) => s.status)).toEqual(Array(STREAMS).fill(200))
    for (const s of streams) expect(await s.next('progress')).toMatchObject({ submissionId, status: 'queued', evaluationStatus: 'queued' })
    expect(app.eventStreams.stats()).toMatchObject({ streams: STREAMS, submissions: 1 })

    const before = { reads, ticks: app.eventStreams.stats().ticks }
    await until('six more poll rounds', () => app.eventStreams.stats().ticks >= before.ticks + 6)
    const rounds = app.eventStreams.stats().ticks - before.ticks
    const made = reads - before.reads
    // One submission read per round (give or take the round in flight); a poll per stream would be 40 per round.
    expect(made).toBeGreaterThanOrEqual(rounds - 1)
    expect(made).toBeLessThanOrEqual(rounds + 1)
  })

  it('refuses a stream beyond MAX_EVENT_STREAMS_PER_USER and beyond MAX_EVENT_STREAMS with 429', async () => {
    const extra = await openStream(base, submissionId, alice)
    expect(extra.status).toBe(429)
    expect(Number(extra.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(extra.error).toEqual({
      code: 'too_many_requests',
      message:
        `you have ${STREAMS} event streams open, the most allowed (MAX_EVENT_STREAMS_PER_USER=${STREAMS}); ` +
        'close one before opening another',
    })

    for (let i = 0; i < 5; i++) {
      const s = await openStream(base, submissionId, organiser)
      expect(s.status).toBe(200)
      streams.push(s)
    }
    const over = await openStream(base, submissionId, organiser)
    expect(over.status).toBe(429)
    expect(over.error?.message).toBe(
      `the server has ${STREAMS + 5} event streams open (MAX_EVENT_STREAMS); retry later or poll GET /api/v1/submissions/${submissionId}`,
    )
    expect(app.eventStreams.stats()).toMatchObject({ streams: STREAMS + 5, submissions: 1 })

    // A closed stream frees its place.
    streams.shift()?.close()
    await until('the server notices the closed stream', () => app.eventStreams.stats().streams === STREAMS + 4)
    const again = await openStream(base, submissionId, alice)
    expect(again.status).toBe(200)
    expect(await again.next('progress')).toMatchObject({ submissionId, status: 'queued' })
    streams.push(again)
  })

  it('fans a change out to every stream, then ends them all and stops polling', async () => {
    const cancel = await fetch(`${h.url}/api/v1/submissions/${submissionId}/cancel`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice}` },
    })
    expect(cancel.status).toBe(200)
    const ends = await Promise.all(streams.map((s) => s.next('end')))
    for (const e of ends) expect(e).toMatchObject({ submissionId, status: 'cancelled', evaluationStatus: 'cancelled' })
    await until('every stream is closed', () => app.eventStreams.stats().streams === 0)
    expect(app.eventStreams.stats().submissions).toBe(0)
    const { ticks } = app.eventStreams.stats()
    await new Promise((r) => setTimeout(r, 1200))
    expect(app.eventStreams.stats().ticks).toBe(ticks)
  })
})
