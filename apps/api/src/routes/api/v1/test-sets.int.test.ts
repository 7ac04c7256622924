import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { openAsBlob } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { startHarness, type Backend, type Harness } from '../../../testing/harness.ts'
import { writeTarGz, writeZip, type TestEntry } from '../../../testing/archives.ts'
import { mhaBytes } from '../../../testing/images.ts'
import { PHASE_BODY } from '../../../testing/client.ts'

for (const backend of ['postgres', 'pglite'] as Backend[]) {
  describe(`organiser flow: challenge, phase, test set (${backend})`, () => {
    let h: Harness
    let organiser: string
    let other: string
    let image: Buffer
    let mask: Buffer

    beforeAll(async () => {
      h = await startHarness(backend)
      organiser = (await h.user('org', 'organiser')).token
      other = (await h.user('org2', 'organiser')).token
      image = await mhaBytes('image')
      mask = await mhaBytes('mask')
    })
    afterAll(async () => {
      await h?.close()
    })

    const json = (token: string, method: string, path: string, body: unknown) =>
      fetch(`${h.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })

    async function upload(token: string, entries: TestEntry[], format: 'zip' | 'tar.gz' = 'zip') {
      const file = join(h.dataDir, `upload-${Math.random()}.${format}`)
      await (format === 'zip' ? writeZip : writeTarGz)(file, entries)
      const form = new FormData()
      form.append('archive', await openAsBlob(file), `set.${format}`)
      return fetch(`${h.url}/api/v1/challenges/spine/phases/final/test-set`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}` },
        body: form,
      })
    }

    const storedTestSetFiles = async () => (await h.storage.list('testsets')).length

    it('creates a challenge and a phase', async () => {
      const c = await json(organiser, 'POST', '/api/v1/challenges', { slug: 'spine', title: 'Spine', description: 'test' })
      expect(c.status).toBe(201)
      const p = await json(organiser, 'POST', '/api/v1/challenges/spine/phases', PHASE_BODY)
      expect(p.status).toBe(201)
      expect(await p.json()).toMatchObject({ slug: 'final', testSet: null, submissionLimit: { count: 5, periodHours: 24 } })
      const dup = await json(organiser, 'POST', '/api/v1/challenges/spine/phases', PHASE_BODY)
      expect(dup.status).toBe(409)
    })

    it('refuses unknown ranking metrics and inverted dates', async () => {
      const bad = await json(organiser, 'PATCH', '/api/v1/challenges/spine/phases/final', {
        ranking: { method: 'absolute', metrics: [{ key: 'Nope', order: 'desc' }] },
      })
      expect(bad.status).toBe(400)
      expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('"Nope"')
      const dates = await json(organiser, 'PATCH', '/api/v1/challenges/spine/phases/final', {
        opensAt: '2030-01-02T00:00:00Z',
        closesAt: '2030-01-01T00:00:00Z',
      })
      expect(dates.status).toBe(400)
      expect(((await dates.json()) as { error: { message: string } }).error.message).toBe(
        'opensAt (2030-01-02T00:00:00.000Z) must be before closesAt (2030-01-01T00:00:00.000Z)',
      )
    })

    it('imports a valid .zip test set as version 1 and a .tar.gz one as version 2', async () => {
      const entries: TestEntry[] = [
        { name: 'spider/images/1_t1.mha', data: image },
        { name: 'spider/masks/1_t1.mha', data: mask },
        { name: 'spider/images/1_t2.mha', data: image },
        { name: 'spider/masks/1_t2.mha', data: mask },
        { name: 'spider/overview.csv', data: 'new_file_name,sex,age\n1_t1,F,50\n1_t2,F,50\n' },
      ]
      const res = await upload(organiser, entries)
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({
        version: 1,
        count: 2,
        series: [
          { name: '1_t1', sequence: 't1' },
          { name: '1_t2', sequence: 't2' },
        ],
      })
      const res2 = await upload(
        organiser,
        entries.slice(0, 2).map((e) => ({ ...e, name: e.name.replace('spider/', '') })),
        'tar.gz',
      )
      expect(res2.status).toBe(200)
      expect(await res2.json()).toEqual({ version: 2, count: 1, series: [{ name: '1_t1', sequence: 't1' }] })
      const challenge = (await (await fetch(`${h.url}/api/v1/challenges/spine`)).json()) as { phases: Array<{ testSet: unknown }> }
      expect(challenge.phases[0].testSet).toMatchObject({ version: 2, count: 1 })
      const rows = await h.db.prisma.testSeries.findMany({ where: { testSet: { version: 1 } }, orderBy: { name: 'asc' } })
      expect(rows.map((r) => [r.name, r.labels, r.size, r.meta])).toEqual([
        ['1_t1', [1, 2, 100, 201], [12, 10, 4], { new_file_name: '1_t1', sex: 'F', age: '50' }],
        ['1_t2', [1, 2, 100, 201], [12, 10, 4], { new_file_name: '1_t2', sex: 'F', age: '50' }],
      ])
      expect(await storedTestSetFiles()).toBe(6)
    })

    it('lists every offending file and stores nothing', async () => {
      const before = await storedTestSetFiles()
      const res = await upload(organiser, [
        { name: 'images/a_t1.mha', data: image },
        { name: 'masks/a_t1.mha', data: await mhaBytes('mask', { size: [12, 10, 5] }) },
        { name: 'images/b_t1.mha', data: image },
        { name: 'masks/b_t1.mha', data: await mhaBytes('mask', { labels: 'fractional' }) },
        { name: 'masks/c_t1.mha', data: mask },
        { name: 'images/d_t1.mha', data: image },
        { name: 'images/e_t1.mha', data: image },
        { name: 'masks/e_t1.mha', data: 'not an image' },
        { name: 'notes.txt', data: 'hello' },
        { name: 'masks/readme.md', data: 'x' },
      ])
      expect(res.status).toBe(422)
      const body = (await res.json()) as { error: { code: string; details: { problems: string[] } } }
      expect(body.error.code).toBe('invalid_input')
      const problems = body.error.details.problems.join('\n')
      expect(problems).toContain('masks/a_t1.mha: size 12x10x5 differs from the reference size 12x10x4')
      expect(problems).toContain('masks/b_t1.mha: fractional label 1.5')
      expect(problems).toContain('masks/c_t1.mha: no image images/c_t1.mha for this mask')
      expect(problems).toContain('images/d_t1.mha: no mask masks/d_t1.mha for this image')
      expect(problems).toMatch(/masks\/e_t1\.mha: cannot read image/)
      expect(problems).toContain('notes.txt: unexpected file')
      expect(problems).toContain('masks/readme.md: not an image file')
      expect(body.error.details.problems).toHaveLength(7)
      expect(await storedTestSetFiles()).toBe(before)
      expect(await h.db.prisma.testSetVersion.count()).toBe(2)
      expect(await readdir(join(h.dataDir, 'tmp'))).toEqual([])
    })

    it('refuses empty masks, unsafe archives and non-archives with clear errors', async () => {
      const empty = await upload(organiser, [
        { name: 'images/a_t1.mha', data: image },
        { name: 'masks/a_t1.mha', data: await mhaBytes('mask', { labels: 'empty' }) },
      ])
      expect(empty.status).toBe(422)
      expect(JSON.stringify(await empty.json())).toContain('masks/a_t1.mha: the mask has no labelled structure')
      const unsafe = await upload(organiser, [{ name: 'images/x.mha', type: 'symlink', linkname: '/etc/passwd' }], 'tar.gz')
      expect(unsafe.status).toBe(422)
      expect(await unsafe.json()).toEqual({
        error: {
          code: 'invalid_input',
          message: 'the archive has 1 unsafe or unsupported entry',
          details: { problems: ['images/x.mha: symbolic links are not allowed'] },
        },
      })
      const form = new FormData()
      form.append('archive', new Blob(['plain text']), 'x.zip')
      const notArchive = await fetch(`${h.url}/api/v1/challenges/spine/phases/final/test-set`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${organiser}` },
        body: form,
      })
      expect(notArchive.status).toBe(422)
      expect(((await notArchive.json()) as { error: { message: string } }).error.message).toMatch(
        /^the upload is neither a \.zip nor a \.tar\.gz archive \(a single image such as a \.mha is not one\): upload a \.zip or \.tar\.gz/,
      )
      const noFile = await fetch(`${h.url}/api/v1/challenges/spine/phases/final/test-set`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${organiser}` },
        body: new FormData(),
      })
      expect(noFile.status).toBe(400)
      const json = await fetch(`${h.url}/api/v1/challenges/spine/phases/final/test-set`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${organiser}`, 'content-type': 'application/json' },
        body: '{}',
      })
      expect(json.status).toBe(415)
    })

    it('forbids other organisers, participants and anonymous callers', async () => {
      const entries = [
        { name: 'images/a_t1.mha', data: image },
        { name: 'masks/a_t1.mha', data: mask },
      ]
      expect((await upload(other, entries)).status).toBe(403)
      const p = await h.user('part', 'participant')
      expect((await upload(p.token, entries)).status).toBe(403)
      const form = new FormData()
      form.append('archive', new Blob(['x']), 'x.zip')
      expect((await fetch(`${h.url}/api/v1/challenges/spine/phases/final/test-set`, { method: 'PUT', body: form })).status).toBe(401)
    })
  })
}
