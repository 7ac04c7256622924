/**
 * Finding 7 (concurrent expensive work): one participant ran any number of uploads at once,
 * and two small zip bombs wrote gigabytes to DATA_DIR/tmp. Now one upload per participant and
 * phase is in flight (409 to the others, before their body is read, agreed across API
 * processes through Redis), one test-set upload per phase, and a predictions archive may
 * expand only to what the test set can need.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { randomUUID } from 'node:crypto'
import { readdir, readFile, stat } from 'node:fs/promises'
import { request } from 'node:http'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../apps/api/src/app.ts'
import { startHarness, type Harness } from '../../apps/api/src/testing/harness.ts'
import { apiClient, PHASE_BODY } from '../../apps/api/src/testing/client.ts'
import { writeZip } from '../../apps/api/src/testing/archives.ts'
import { mhaBytes } from '../../apps/api/src/testing/images.ts'

interface ErrorBody {
  error: { code: string; message: string }
}

/** A multipart upload whose headers and first bytes are sent now and the rest on `finish()`. */
function heldUpload(url: string, method: string, token: string, fields: Record<string, string>, file: { field: string; data: Buffer }) {
  const boundary = `held-${randomUUID()}`
  const head = Buffer.from(
    Object.entries(fields)
      .map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
      .join('') +
      `--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.field}.zip"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  )
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`)
  const req = request(url, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': String(head.length + file.data.length + tail.length),
    },
  })
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
  })
  response.catch(() => undefined)
  req.write(head)
  req.write(file.data.subarray(0, 16))
  return {
    finish: () => {
      req.end(Buffer.concat([file.data.subarray(16), tail]))
      return response
    },
    abort: () => req.destroy(),
  }
}

async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`timed out waiting until ${what}`)
}

/** Bytes of the files under `dir` now. */
async function treeBytes(dir: string): Promise<number> {
  let total = 0
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])) {
    if (e.isFile())
      total += await stat(join(e.parentPath, e.name)).then(
        (s) => s.size,
        () => 0,
      )
  }
  return total
}

describe('concurrent uploads and zip bombs (finding 7)', () => {
  let h: Harness
  let api: ReturnType<typeof apiClient>
  /** A second API process on the same database and Redis. */
  let other: FastifyInstance
  let otherUrl: string
  let organiser: string
  let alice: string
  let bob: string
  let mask: Buffer
  let bomb: Buffer
  const submissions = '/api/v1/challenges/spine/phases/final/submissions'
  const testSet = '/api/v1/challenges/spine/phases/final/test-set'
  const slotKeys = () => h.app.redis.keys(`${h.config.queuePrefix}spider-bench:upload-slot:*`)

  beforeAll(async () => {
    // No progress rule here: the held uploads below wait on purpose.
    h = await startHarness('pglite', { uploadMinBytesPerSecond: 0 })
    api = apiClient(h.url, h.dataDir)
    other = await buildApp({ config: h.config, prisma: h.db.prisma, storage: h.storage })
    await other.listen({ port: 0, host: '127.0.0.1' })
    otherUrl = `http://127.0.0.1:${(other.server.address() as { port: number }).port}`
    organiser = (await h.user('org', 'organiser')).token
    alice = (await h.user('alice', 'participant')).token
    bob = (await h.user('bob', 'participant')).token
    mask = await mhaBytes('mask') // 12×10×4 voxels: the one test series
    expect((await api.json(organiser, 'POST', '/api/v1/challenges', { slug: 'spine', title: 'Spine' })).status).toBe(201)
    expect(
      (
        await api.json(organiser, 'POST', '/api/v1/challenges/spine/phases', {
          ...PHASE_BODY,
          submissionLimit: { count: 50, periodHours: 24 },
        })
      ).status,
    ).toBe(201)
    const set = await api.archive([
      { name: 'images/1_t1.mha', data: await mhaBytes('image') },
      { name: 'masks/1_t1.mha', data: mask },
    ])
    expect((await api.multipart(organiser, 'PUT', testSet, { archive: set })).status).toBe(200)
    // 64 MiB of zeros named like the series: about 64 KB compressed.
    const file = join(h.dataDir, 'bomb.zip')
    await writeZip(file, [{ name: '1_t1.mha', data: Buffer.alloc(64 * 1024 * 1024) }])
    bomb = await readFile(file)
  })
  afterAll(async () => {
    await other?.close()
    await h?.close()
  })

  it('refuses a second upload by a participant with 409 while the first is received, in any API process, and bounds the bomb', async () => {
    expect(bomb.length).toBeLessThan(200_000)
    const first = heldUpload(`${h.url}${submissions}`, 'POST', alice, { kind: 'predictions' }, { field: 'predictions', data: bomb })
    await until('the first upload holds its slot', () => h.app.uploadSlots.held().length === 1)
    expect(await slotKeys()).toHaveLength(1)

    for (const base of [h.url, otherUrl]) {
      const second = await fetch(`${base}${submissions}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${alice}` },
        body: formOf({ kind: 'predictions' }, 'predictions', bomb),
      })
      expect(second.status).toBe(409)
      const body = (await second.json()) as ErrorBody
      expect(body.error.code).toBe('upload_in_progress')
      expect(body.error.message).toBe(
        'you already have an upload to phase "final" in progress (being received or validated); ' +
          'wait for its answer before submitting again',
      )
    }
    // Another participant is not held up.
    const bobs = await api.multipart(bob, 'POST', submissions, {
      kind: 'predictions',
      predictions: await api.archive([{ name: '1_t1.mha', data: mask }]),
    })
    expect(bobs.status).toBe(202)

    // The bomb itself: refused at the test set's bound, DATA_DIR/tmp never holds more than a test set's worth.
    let peak = 0
    let watching = true
    const watcher = (async () => {
      while (watching) {
        peak = Math.max(peak, await treeBytes(join(h.dataDir, 'tmp')))
        await new Promise((r) => setTimeout(r, 2))
      }
    })()
    const answer = await first.finish()
    watching = false
    await watcher
    expect(answer.status).toBe(413)
    const error = (JSON.parse(answer.body) as ErrorBody).error
    expect(error.code).toBe('payload_too_large')
    expect(error.message).toBe(
      '1_t1.mha: expands to more than 69376 bytes, ' +
        'the most that predictions for the 1 test series can need (voxels × 8 bytes + 64 KiB per series)',
    )
    expect(peak).toBeLessThan(1024 * 1024)
    expect(await readdir(join(h.dataDir, 'tmp'))).toEqual([])

    // The slot is free again, here and in Redis: the next upload is taken.
    expect(h.app.uploadSlots.held()).toEqual([])
    expect(await slotKeys()).toEqual([])
    const next = await api.multipart(alice, 'POST', submissions, {
      kind: 'predictions',
      predictions: await api.archive([{ name: '1_t1.mha', data: mask }]),
    })
    expect(next.status).toBe(202)
    expect(await h.db.prisma.submission.count()).toBe(2)
  })

  it('allows one test-set upload per phase at a time (409), and frees the slot when the client aborts', async () => {
    const set = Buffer.from(
      await (
        await api.archive([
          { name: 'images/1_t1.mha', data: await mhaBytes('image') },
          { name: 'masks/1_t1.mha', data: mask },
        ])
      ).arrayBuffer(),
    )
    const first = heldUpload(`${h.url}${testSet}`, 'PUT', organiser, {}, { field: 'archive', data: set })
    await until('the test-set upload holds its slot', () => h.app.uploadSlots.held().length === 1)
    const second = await fetch(`${otherUrl}${testSet}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${organiser}` },
      body: formOf({}, 'archive', set),
    })
    expect(second.status).toBe(409)
    expect(((await second.json()) as ErrorBody).error.message).toBe(
      'a test-set upload to phase "final" is already in progress (being received or validated); wait for its answer before uploading again',
    )
    first.abort()
    await until('the aborted upload releases its slot', () => h.app.uploadSlots.held().length === 0)
    expect(await slotKeys()).toEqual([])
    await until('the temp dir is clean', async () => (await readdir(join(h.dataDir, 'tmp'))).length === 0)
    const third = await fetch(`${otherUrl}${testSet}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${organiser}` },
      body: formOf({}, 'archive', set),
    })
    expect(third.status).toBe(200)
  })
})

describe('concurrent uploads without Redis: slots held in the process (finding 7)', () => {
  let h: Harness

  beforeAll(async () => {
    h = await startHarness('pglite', { uploadMinBytesPerSecond: 0, redisUrl: 'redis://127.0.0.1:1' })
  })
  afterAll(async () => {
    await h?.close()
  })

  it('still holds one upload per slot within the process', async () => {
    const api = apiClient(h.url, h.dataDir)
    const organiser = (await h.user('org', 'organiser')).token
    const alice = (await h.user('alice', 'participant')).token
    const mask = await mhaBytes('mask')
    expect((await api.json(organiser, 'POST', '/api/v1/challenges', { slug: 'spine', title: 'Spine' })).status).toBe(201)
    expect((await api.json(organiser, 'POST', '/api/v1/challenges/spine/phases', PHASE_BODY)).status).toBe(201)
    const set = Buffer.from(
      await (
        await api.archive([
          { name: 'images/1_t1.mha', data: await mhaBytes('image') },
          { name: 'masks/1_t1.mha', data: mask },
        ])
      ).arrayBuffer(),
    )
    const testSetUrl = `${h.url}/api/v1/challenges/spine/phases/final/test-set`
    const first = heldUpload(testSetUrl, 'PUT', organiser, {}, { field: 'archive', data: set })
    await until('the test-set upload holds its slot', () => h.app.uploadSlots.held().length === 1)
    const second = await fetch(testSetUrl, {
      method: 'PUT',
      headers: { authorization: `Bearer ${organiser}` },
      body: formOf({}, 'archive', set),
    })
    expect(second.status).toBe(409)
    expect(((await second.json()) as ErrorBody).error.code).toBe('upload_in_progress')
    // The upload itself goes through.
    expect((await first.finish()).status).toBe(200)
    expect(h.app.uploadSlots.held()).toEqual([])

    // Submissions too (aborted here: their enqueueing waits for Redis).
    const url = `${h.url}/api/v1/challenges/spine/phases/final/submissions`
    const predictions = Buffer.from(await (await api.archive([{ name: '1_t1.mha', data: mask }])).arrayBuffer())
    const held = heldUpload(url, 'POST', alice, { kind: 'predictions' }, { field: 'predictions', data: predictions })
    await until('the submission holds its slot', () => h.app.uploadSlots.held().length === 1)
    const again = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice}` },
      body: formOf({ kind: 'predictions' }, 'predictions', predictions),
    })
    expect(again.status).toBe(409)
    held.abort()
    await until('the aborted submission frees its slot', () => h.app.uploadSlots.held().length === 0)
  })
})

function formOf(fields: Record<string, string>, field: string, data: Buffer): FormData {
  const form = new FormData()
  for (const [k, v] of Object.entries(fields)) form.append(k, v)
  form.append(field, new Blob([data]), `${field}.zip`)
  return form
}
