import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { request } from 'node:http'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { startHarness, type Backend, type Harness } from '../../../testing/harness.ts'
import { apiClient, PHASE_BODY } from '../../../testing/client.ts'
import { mhaBytes } from '../../../testing/images.ts'

for (const backend of ['postgres', 'pglite'] as Backend[]) {
  describe(`concurrent and aborted uploads (${backend})`, () => {
    let h: Harness
    let api: ReturnType<typeof apiClient>
    let participant: string
    let mask: Buffer
    const url = '/api/v1/challenges/spine/phases/final/submissions'

    beforeAll(async () => {
      h = await startHarness(backend)
      api = apiClient(h.url, h.dataDir)
      const org = (await h.user('org', 'organiser')).token
      participant = (await h.user('p', 'participant')).token
      mask = await mhaBytes('mask')
      expect((await api.json(org, 'POST', '/api/v1/challenges', { slug: 'spine', title: 'Spine' })).status).toBe(201)
      expect((await api.json(org, 'POST', '/api/v1/challenges/spine/phases', PHASE_BODY)).status).toBe(201)
      const set = await api.archive([
        { name: 'images/1_t1.mha', data: await mhaBytes('image') },
        { name: 'masks/1_t1.mha', data: mask },
      ])
      expect((await api.multipart(org, 'PUT', '/api/v1/challenges/spine/phases/final/test-set', { archive: set })).status).toBe(200)
    })
    afterAll(async () => {
      await h?.close()
    })

    it('accepts exactly one of several simultaneous submissions by one participant (the others 409)', async () => {
      const archives = await Promise.all([0, 1, 2].map(() => api.archive([{ name: '1_t1.mha', data: mask }])))
      const statuses = await Promise.all(
        archives.map((a) => api.multipart(participant, 'POST', url, { kind: 'predictions', predictions: a }).then((r) => r.status)),
      )
      expect(statuses.sort()).toEqual([202, 409, 409])
      expect(await h.db.prisma.submission.count()).toBe(1)
      expect((await h.storage.list('submissions')).length).toBe(1)
      expect(await readdir(join(h.dataDir, 'tmp'))).toEqual([])
    })

    it('leaves no temp file, stored file or row behind when the client aborts mid-upload', async () => {
      const before = { rows: await h.db.prisma.submission.count(), files: (await h.storage.list('submissions')).length }
      await new Promise<void>((resolve) => {
        const boundary = 'xBOUNDARYx'
        const req = request(`${h.url}${url}`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${participant}`,
            'content-type': `multipart/form-data; boundary=${boundary}`,
            'content-length': '10000000',
          },
        })
        req.on('error', () => resolve())
        req.on('response', (res) => {
          res.resume()
          resolve()
        })
        req.write(
          `--${boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\npredictions\r\n` +
            `--${boundary}\r\nContent-Disposition: form-data; name="predictions"; filename="p.zip"\r\n\r\n`,
        )
        req.write(Buffer.alloc(100_000, 7))
        setTimeout(() => req.destroy(), 300)
      })
      // The server notices the abort asynchronously.
      for (let i = 0; i < 50 && (await readdir(join(h.dataDir, 'tmp'))).length > 0; i++) await new Promise((r) => setTimeout(r, 100))
      expect(await readdir(join(h.dataDir, 'tmp'))).toEqual([])
      expect({ rows: await h.db.prisma.submission.count(), files: (await h.storage.list('submissions')).length }).toEqual(before)
      expect((await fetch(`${h.url}/healthz`)).status).toBe(200)
    })
  })
}
