/**
 * Direct uploads over real HTTP: the API with S3Storage on an s3rver bucket, clients that PUT to
 * the presigned URL themselves. The answers must be those of the streamed routes (same limits,
 * same errors); forged content, a reused or someone else's upload, a participant asking for a
 * test-set upload, a second upload in flight, and an abandoned upload are refused or swept. With
 * the file store the routes answer 501 naming the streamed route.
 */
import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { S3Storage } from '@spider-bench/storage/s3'
import { S3RVER_CREDENTIALS, startS3Server, type TestS3Server } from '@spider-bench/storage/testing'
import { apiClient, PHASE_BODY } from '../../../testing/client.ts'
import { startHarness, type Harness } from '../../../testing/harness.ts'
import { mhaBytes } from '../../../testing/images.ts'
import { writeZip, type TestEntry } from '../../../testing/archives.ts'
import { sweepDirectUploads, type DirectUploadView } from '../../../services/direct-uploads.ts'

interface ErrorBody {
  error: { code: string; message: string; details?: { problems?: string[]; uploadId?: string } }
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex')
const base = '/api/v1/challenges/spine/phases'

describe('direct uploads (S3 storage, presigned PUT)', () => {
  let s3: TestS3Server
  let h: Harness
  let api: ReturnType<typeof apiClient>
  let organiser: string
  let alice: string
  let bob: string
  let image: Buffer
  let mask: Buffer
  let n = 0

  beforeAll(async () => {
    s3 = await startS3Server()
    h = await startHarness(
      'postgres',
      { maxUploadBytes: 200_000, maxArchiveBytes: 2_000_000 },
      {
        storage: (dataDir) =>
          new S3Storage({
            bucket: s3.bucket,
            prefix: 'api',
            endpoint: s3.endpoint,
            forcePathStyle: true,
            credentials: S3RVER_CREDENTIALS,
            cacheDir: join(dataDir, 'cache'),
            cacheMaxBytes: 64 * 1024 * 1024,
          }),
      },
    )
    api = apiClient(h.url, h.dataDir)
    organiser = (await h.user('org', 'organiser')).token
    alice = (await h.user('alice', 'participant')).token
    bob = (await h.user('bob', 'participant')).token
    image = await mhaBytes('image')
    mask = await mhaBytes('mask')
    expect((await api.json(organiser, 'POST', '/api/v1/challenges', { slug: 'spine', title: 'Spine' })).status).toBe(201)
    expect((await api.json(organiser, 'POST', `${base}`, { ...PHASE_BODY, slug: 'final' })).status).toBe(201)
  })
  afterAll(async () => {
    await h?.close()
    ;(h?.storage as S3Storage | undefined)?.close()
    await s3?.stop()
  })

  /** A .zip of the entries, as bytes. */
  async function zip(entries: TestEntry[]): Promise<Buffer> {
    const file = join(h.dataDir, `direct-${n++}.zip`)
    await writeZip(file, entries)
    return readFile(file)
  }
  const testSet = () =>
    zip([
      { name: 'images/1_t1.mha', data: image },
      { name: 'masks/1_t1.mha', data: mask },
      { name: 'images/2_t2.mha', data: image },
      { name: 'masks/2_t2.mha', data: mask },
    ])
  const predictions = () =>
    zip([
      { name: '1_t1.mha', data: mask },
      { name: '2_t2.mha', data: mask },
    ])

  async function start(token: string, path: string, body: Record<string, unknown>) {
    const res = await api.json(token, 'POST', path, body)
    return { status: res.status, body: (await res.json()) as DirectUploadView & ErrorBody }
  }
  const put = (upload: DirectUploadView, data: Buffer) =>
    fetch(upload.upload.url, { method: upload.upload.method, headers: upload.upload.headers, body: data })
  async function complete(token: string, upload: DirectUploadView) {
    const res = await api.json(token, 'POST', upload.complete)
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & ErrorBody }
  }
  const bucketKeys = (prefix: string) => h.storage.list(prefix)

  it('a test set: start, PUT to the object store, complete; validated and stored as a streamed one, once', async () => {
    const archive = await testSet()
    const started = await start(organiser, `${base}/final/test-set/uploads`, { size: archive.length, sha256: sha256(archive) })
    expect(started.status, JSON.stringify(started.body)).toBe(201)
    const upload = started.body
    expect(upload).toMatchObject({ purpose: 'test-set', size: archive.length, sha256: sha256(archive) })
    expect(upload.upload.method).toBe('PUT')
    expect(new URL(upload.upload.url).pathname).toBe(`/${s3.bucket}/api/uploads/${upload.id}/archive`)
    expect(new Date(upload.urlExpiresAt).getTime()).toBeLessThanOrEqual(Date.now() + 900_000)
    expect((await put(upload, archive)).status).toBe(200)

    const done = await complete(organiser, upload)
    expect(done.status, JSON.stringify(done.body)).toBe(200)
    expect(done.body).toEqual({
      version: 1,
      count: 2,
      series: [
        { name: '1_t1', sequence: 't1' },
        { name: '2_t2', sequence: 't2' },
      ],
    })
    expect((await bucketKeys('testsets')).length).toBe(4)
    // The uploaded archive is gone from the bucket; nothing of it stayed in the API's DATA_DIR.
    expect(await bucketKeys('uploads')).toEqual([])
    expect(await readdir(join(h.dataDir, 'tmp'))).toEqual([])

    // An upload completes once.
    const again = await complete(organiser, upload)
    expect(again.status).toBe(409)
    expect(again.body.error.code).toBe('upload_used')
    expect(await h.db.prisma.testSetVersion.count()).toBe(1)
  })

  it('refuses a participant asking for a test-set upload (403), and others completing an upload (404)', async () => {
    const archive = await testSet()
    const refused = await start(alice, `${base}/final/test-set/uploads`, { size: archive.length, sha256: sha256(archive) })
    expect(refused.status).toBe(403)
    expect(await h.db.prisma.directUpload.count({ where: { purpose: 'test-set', status: 'pending' } })).toBe(0)

    const archive2 = await predictions()
    const mine = await start(alice, `${base}/final/submissions/uploads`, {
      kind: 'predictions',
      size: archive2.length,
      sha256: sha256(archive2),
    })
    expect(mine.status).toBe(201)
    expect((await put(mine.body, archive2)).status).toBe(200)
    const stolen = await complete(bob, mine.body)
    expect(stolen.status).toBe(404)
    expect((await api.json(bob, 'DELETE', `/api/v1/uploads/${mine.body.id}`)).status).toBe(404)
    // Alice gives it up: the object goes, the slot is free again.
    expect((await api.json(alice, 'DELETE', `/api/v1/uploads/${mine.body.id}`)).status).toBe(204)
    expect(await bucketKeys('uploads')).toEqual([])
    expect((await complete(alice, mine.body)).body.error.code).toBe('upload_used')
  })

  it('refuses content other than declared at complete (422), then the upload is over; nothing is kept', async () => {
    const archive = await predictions()
    let landed = 0
    for (const forged of [Buffer.from(archive).fill(0x41, 40, 48), Buffer.concat([archive, Buffer.from('more')])]) {
      const started = await start(alice, `${base}/final/submissions/uploads`, {
        kind: 'predictions',
        size: archive.length,
        sha256: sha256(archive),
      })
      expect(started.status).toBe(201)
      // s3rver checks no signature, so the forged PUT lands; AWS S3 would refuse it already.
      const sent = await put(started.body, forged)
      if (!sent.ok) continue
      landed++
      const done = await complete(alice, started.body)
      expect(done.status).toBe(422)
      expect(done.body.error.message).toMatch(/^the uploaded file is not the one declared/)
      expect(await bucketKeys('uploads')).toEqual([])
      expect(await h.db.prisma.submission.count()).toBe(0)
      expect((await complete(alice, started.body)).body.error.code).toBe('upload_used')
    }
    expect(landed).toBeGreaterThan(0)
  })

  it('one upload in flight: a second start or a streamed upload waits for the open one; complete before PUT is 409', async () => {
    const archive = await predictions()
    const body = { kind: 'predictions', size: archive.length, sha256: sha256(archive) }
    const first = await start(alice, `${base}/final/submissions/uploads`, body)
    expect(first.status).toBe(201)
    const second = await start(alice, `${base}/final/submissions/uploads`, body)
    expect(second.status).toBe(409)
    expect(second.body.error).toMatchObject({ code: 'upload_in_progress', details: { uploadId: first.body.id } })
    const streamed = await api.multipart(alice, 'POST', `${base}/final/submissions`, {
      kind: 'predictions',
      predictions: new Blob([archive]),
    })
    expect(streamed.status).toBe(409)
    expect(((await streamed.json()) as ErrorBody).error.code).toBe('upload_in_progress')
    // Bob's slot is his own.
    expect((await start(bob, `${base}/final/submissions/uploads`, body)).status).toBe(201)

    const early = await complete(alice, first.body)
    expect(early.status).toBe(409)
    expect(early.body.error.code).toBe('upload_missing')
    expect((await put(first.body, archive)).status).toBe(200)
    const done = await complete(alice, first.body)
    expect(done.status, JSON.stringify(done.body)).toBe(202)
    expect(done.body.status).toBe('queued')
    const sub = await h.db.prisma.submission.findUniqueOrThrow({ where: { id: done.body.id as string } })
    expect(sub).toMatchObject({ kind: 'predictions', status: 'queued' })
    for (const key of Object.values(sub.files as Record<string, string>)) expect(await h.storage.exists(key)).toBe(true)
    // Admission rules as for a streamed submission: the active one blocks the next start.
    const next = await start(alice, `${base}/final/submissions/uploads`, body)
    expect(next.status).toBe(409)
    expect(next.body.error.message).toMatch(/already have submission/)
  })

  it('the same limits and errors as the streamed route: MAX_UPLOAD_BYTES at start, every archive problem at complete', async () => {
    const tooBig = await start(bob, `${base}/final/test-set/uploads`, { size: 200_001, sha256: 'a'.repeat(64) })
    expect(tooBig.status).toBe(403) // bob is a participant
    const big = await start(organiser, `${base}/final/test-set/uploads`, { size: 200_001, sha256: 'a'.repeat(64) })
    expect(big.status).toBe(413)
    expect(big.body.error.message).toBe('file "archive" exceeds MAX_UPLOAD_BYTES (200000 bytes)')
    expect((await start(organiser, `${base}/final/test-set/uploads`, { size: 10, sha256: 'XYZ' })).status).toBe(400)

    const bad = await zip([
      { name: 'images/1_t1.mha', data: image },
      { name: 'masks/1_t1.mha', data: Buffer.from('not an image') },
      { name: 'notes.txt', data: 'stray' },
    ])
    const streamed = await api.multipart(organiser, 'PUT', `${base}/final/test-set`, { archive: new Blob([bad]) })
    const streamedBody = (await streamed.json()) as ErrorBody
    const started = await start(organiser, `${base}/final/test-set/uploads`, { size: bad.length, sha256: sha256(bad) })
    expect(started.status).toBe(201)
    expect((await put(started.body, bad)).status).toBe(200)
    const direct = await complete(organiser, started.body)
    expect(streamed.status).toBe(422)
    expect(direct.status).toBe(422)
    expect(direct.body).toEqual(streamedBody)
    expect(await bucketKeys('uploads')).toEqual([])
    expect(await h.db.prisma.testSetVersion.count()).toBe(1)
  })

  it('an abandoned upload expires: the sweep removes its object and frees the slot', async () => {
    const archive = await testSet()
    const started = await start(organiser, `${base}/final/sanity-set/uploads`, { size: archive.length, sha256: sha256(archive) })
    expect(started.status).toBe(201)
    expect((await put(started.body, archive)).status).toBe(200)
    expect(await bucketKeys('uploads')).toEqual([`uploads/${started.body.id}/archive`])
    // Another organiser upload of the phase waits meanwhile (one test-set upload per phase).
    expect((await start(organiser, `${base}/final/test-set/uploads`, { size: archive.length, sha256: sha256(archive) })).status).toBe(409)

    // Nothing is removed before the expiry; afterwards the upload and its object are gone.
    expect(await sweepDirectUploads({ db: h.db.prisma, storage: h.storage })).toEqual({ expired: 0, removed: 0 })
    const later = new Date(new Date(started.body.expiresAt).getTime() + 1000)
    // This one and bob's of an earlier test, which was never sent; only this one had an object.
    expect(await sweepDirectUploads({ db: h.db.prisma, storage: h.storage }, later)).toEqual({ expired: 2, removed: 1 })
    expect(await bucketKeys('uploads')).toEqual([])
    expect((await complete(organiser, started.body)).body.error.code).toBe('upload_used')
    expect((await start(organiser, `${base}/final/test-set/uploads`, { size: archive.length, sha256: sha256(archive) })).status).toBe(201)
  })
})

describe('direct uploads with the file store', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness('pglite')
  })
  afterAll(async () => {
    await h?.close()
  })

  it('answer 501 naming the streamed route', async () => {
    const api = apiClient(h.url, h.dataDir)
    const organiser = (await h.user('org', 'organiser')).token
    const alice = (await h.user('alice', 'participant')).token
    expect((await api.json(organiser, 'POST', '/api/v1/challenges', { slug: 'spine', title: 'Spine' })).status).toBe(201)
    expect((await api.json(organiser, 'POST', `${base}`, { ...PHASE_BODY, slug: 'final' })).status).toBe(201)
    const body = { size: 10, sha256: 'a'.repeat(64) }
    for (const [token, path, streamed, extra] of [
      [organiser, `${base}/final/test-set/uploads`, `PUT /api/v1/challenges/spine/phases/final/test-set`, {}],
      [alice, `${base}/final/submissions/uploads`, `POST /api/v1/challenges/spine/phases/final/submissions`, { kind: 'predictions' }],
    ] as const) {
      const res = await api.json(token, 'POST', path, { ...body, ...extra })
      expect(res.status).toBe(501)
      const error = ((await res.json()) as ErrorBody).error
      expect(error.code).toBe('direct_upload_unavailable')
      expect(error.message).toContain('the server streams uploads instead')
      expect(error.message).toContain(streamed)
    }
  })
})
